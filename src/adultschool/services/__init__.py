"""Use cases: the only layer that knows the rules and opens transactions' contents.

Each service takes a session and plain values (and a JobContext for long work) and returns plain dataclasses.
"""
