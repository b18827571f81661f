"""Consistent copies of a SQLite database with the online backup API, rotated so the folder does not grow forever."""
from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

KEEP_PER_REASON = 10


def backup_sqlite(db_path: Path, dest_dir: Path, reason: str, *, keep: int = KEEP_PER_REASON) -> Path:
    """Writes `<db stem>-<reason>-<timestamp>.sqlite3` into dest_dir and keeps the newest `keep` of that reason."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = dest_dir / f"{db_path.stem}-{reason}-{stamp}.sqlite3"
    part = target.with_name(target.name + ".part")
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(part)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    part.replace(target)
    _rotate(dest_dir, f"{db_path.stem}-{reason}-", keep)
    return target


def _rotate(dest_dir: Path, prefix: str, keep: int) -> None:
    copies = sorted(p for p in dest_dir.glob(prefix + "*.sqlite3"))
    for old in copies[:-keep] if keep > 0 else copies:
        old.unlink(missing_ok=True)
