"""Logging to a rotating file in the log folder; ID numbers never go into it in full: callers mask them, and the file's
formatter masks whatever a message or a traceback still carries (the log is what a clerk is asked to e-mail)."""
from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler

from adultschool import idcard, paths


class MaskingFormatter(logging.Formatter):
    """Every full resident ID number in a formatted record (message and traceback) is masked."""

    def format(self, record: logging.LogRecord) -> str:
        return idcard.mask_in_text(super().format(record))


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
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
