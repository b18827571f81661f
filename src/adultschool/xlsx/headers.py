"""Find the header row of a sheet and map each expected field to its column.

Callers list their columns (label, aliases, required); this module never guesses between two candidates.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from adultschool.errors import AdultSchoolError, Where
from adultschool.textnorm import clean_token
from adultschool.xlsx.reading import Sheet

# After to_halfwidth, （）already became (); these are the other brackets clerks use in headers.
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")", "〈": "(", "〉": ")"})
_REQUIRED_MARKERS = re.compile(r"[*※]")
_WHITESPACE = re.compile(r"\s+")
_TRAILING_BRACKETED = re.compile(r"\([^()]*\)$")


@dataclass(frozen=True)
class Column:
    """An expected column: `label` is the canonical Chinese header, `aliases` other accepted headers."""

    field: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is: 1-based sheet row, field → 0-based column index, field → header as written."""

    row: int
    columns: dict[str, int]
    labels: dict[str, str]


def normalise_header(text: str) -> str:
    """Half-width, no whitespace at all, one kind of bracket, no '*'/'※' markers, lower case."""
    cleaned = clean_token(text) or ""
    cleaned = _WHITESPACE.sub("", cleaned).translate(_BRACKETS)
    return _REQUIRED_MARKERS.sub("", cleaned).lower()


def _short(normalised: str) -> str:
    """'联系电话(手机)' → '联系电话'; a header that is nothing but brackets stays as it is."""
    return _TRAILING_BRACKETED.sub("", normalised) or normalised


@dataclass
class _Candidate:
    row: int
    hits: dict[str, list[tuple[int, str]]]  # field → every (column index, header as written)
    unclear: list[tuple[str, list[str]]]  # header as written → the fields it could mean


def find_header(sheet: Sheet, columns: Sequence[Column], *, scan_rows: int = 10) -> HeaderMatch:
    """The row among the first `scan_rows` that matches most columns and holds every required one."""
    names = {
        column.field: {normalise_header(text) for text in (column.label, *column.aliases)} - {""}
        for column in columns
    }
    short_names = {field: {_short(name) for name in full} for field, full in names.items()}
    labels = {column.field: column.label for column in columns}
    required = [column.field for column in columns if column.required]

    candidates = [
        _match_row(row_index + 1, row, names, short_names)
        for row_index, row in enumerate(sheet.rows[:scan_rows])
    ]
    complete = [c for c in candidates if c.hits and all(field in c.hits for field in required)]
    # max() keeps the first of equally good rows: the real header is above any repeat of it.
    best = max(complete or candidates, key=lambda c: len(c.hits) + len(c.unclear), default=None)
    if best is None or not (best.hits or best.unclear):
        expected = "、".join(f"“{labels[field]}”" for field in (required or labels))
        raise AdultSchoolError(
            f"没有找到表头。表头应包含{expected}等列，并且必须位于工作表的前 {scan_rows} 行之内。",
            Where(sheet=sheet.name),
        )
    if best.unclear:
        text, fields = best.unclear[0]
        shown = "、".join(f"“{labels[field]}”" for field in fields)
        raise AdultSchoolError(
            f"表头“{text}”可能是{shown}中的任何一列，无法确定。请把表头改成其中一列的准确名称后重新导入。",
            Where(sheet=sheet.name, row=best.row, column=text),
        )
    missing = [labels[field] for field in required if field not in best.hits]
    if missing:
        shown = "、".join(f"“{label}”" for label in missing)
        raise AdultSchoolError(
            f"表头缺少必需的列：{shown}。请补上这些列后重新导入；表头必须位于工作表的前 {scan_rows} 行之内。",
            Where(sheet=sheet.name, row=best.row),
        )
    for field, found in best.hits.items():
        if len(found) > 1:
            shown = "和".join(f"“{text}”" for _, text in found)
            raise AdultSchoolError(
                f"表头中{shown}都对应“{labels[field]}”，无法确定该用哪一列。"
                "请删除多余的一列，或把它的表头改成别的名称后重新导入。",
                Where(sheet=sheet.name, row=best.row),
            )
    return HeaderMatch(
        row=best.row,
        columns={field: found[0][0] for field, found in best.hits.items()},
        labels={field: found[0][1] for field, found in best.hits.items()},
    )


def _match_row(
    row_number: int,
    row: tuple[object, ...],
    names: dict[str, set[str]],
    short_names: dict[str, set[str]],
) -> _Candidate:
    candidate = _Candidate(row=row_number, hits={}, unclear=[])
    for column_index, value in enumerate(row):
        if not isinstance(value, str):
            continue
        full = normalise_header(value)
        if not full:
            continue
        short = _short(full)
        # Closest reading first: the header as is; then without its bracketed note
        # ('联系电话(手机)' for 联系电话); then against a label without its note ('学历提升层次' for
        # '学历提升层次（初中/高中）'). Only the closest reading that matches anything counts.
        for matches in (
            [field for field, known in names.items() if full in known],
            [field for field, known in names.items() if short in known],
            [field for field, known in short_names.items() if full in known],
        ):
            if matches:
                break
        written = value.strip()
        if len(matches) > 1:
            candidate.unclear.append((written, matches))
        elif matches:
            candidate.hits.setdefault(matches[0], []).append((column_index, written))
    return candidate
