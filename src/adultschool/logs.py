"""Logging to a rotating file in the log folder; ID numbers never go into it in full (callers mask them)."""
from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler

from adultschool import paths


def set_up_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        return
    try:
        folder = paths.log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(folder / "adultschool.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    except OSError:
        return  # a read-only profile must not stop the program; messages still reach the screen
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
