"""What every command module shares: exit codes, argument types, opening the database, printing tables."""
from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from datetime import date, datetime, time
from typing import Callable, Protocol, Sequence

from adultschool.db import Database, open_database
from adultschool.errors import AdultSchoolError
from adultschool.models import Level
from adultschool.services import registration

EXIT_OK, EXIT_SOME_REJECTED, EXIT_UNUSABLE = 0, 1, 2


def date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”格式不对，应为 YYYY-MM-DD") from None


def level_arg(text: str) -> Level:
    try:
        return registration.parse_level(text)
    except AdultSchoolError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def open_db(args: argparse.Namespace, *, create: bool = False) -> Database:
    return open_database(args.db, create=create)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    texts = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in texts]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - display_width(v)) for v, w in zip(values, widths)).rstrip()

    print(line(headers))
    for row in texts:
        print(line(row))


def emit(fmt: str, headers: Sequence[str], keys: Sequence[str], records: Sequence[dict]) -> None:
    if fmt == "json":
        json.dump(list(records), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(keys)
        writer.writerows([[r[k] for k in keys] for r in records])
    else:
        print_table(headers, [[r[k] for k in keys] for r in records])



def time_arg(text: str) -> time:
    try:
        return datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise argparse.ArgumentTypeError(f"时间“{text}”格式不对，应为 HH:MM") from None




Handler = Callable[[argparse.Namespace], int]


class Adder(Protocol):
    """`add(group, name, handler, help)`: a subcommand that takes --db and runs `handler`."""

    def __call__(self, parent, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser: ...
