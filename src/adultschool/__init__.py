"""adultschool: the dual-certificate programme of a township adult school, and its district office."""
from __future__ import annotations

import os
import sys


def _installed_version() -> str:
    """The version of the installed distribution, read from its metadata the way importlib.metadata finds it (the
    first sys.path entry holding adultschool's .dist-info or .egg-info), without importing importlib.metadata, which
    costs more than the rest of `adultschool --version` (tests/test_startup.py checks that both agree)."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            lowered = name.lower()
            if lowered.startswith("adultschool-") and lowered.endswith(".dist-info"):
                metadata = os.path.join(entry or ".", name, "METADATA")
            elif lowered == "adultschool.egg-info":
                metadata = os.path.join(entry or ".", name, "PKG-INFO")
            else:
                continue
            try:
                with open(metadata, encoding="utf-8") as file:
                    for line in file:
                        if line.startswith("Version:"):
                            return line.split(":", 1)[1].strip()
                        if not line.strip():
                            break  # the headers end at the first empty line
            except OSError:
                continue
    return "0.0.0"  # running from a source tree that was never installed


__version__ = _installed_version()
