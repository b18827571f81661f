"""adultschool: the dual-certificate programme of a township adult school, and its district office."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("adultschool")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
