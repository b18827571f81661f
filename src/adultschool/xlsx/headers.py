"""Find the header row of a sheet and map each expected field to its column.

Callers list their columns (label, aliases, required); this module never guesses between two candidates.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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


_LINE_BREAK = re.compile(r"[ \t]*[\r\n\u2028\u2029]+[ \t]*")


def header_text(value: str) -> str:
    """A header as messages show it: a line break typed inside it (Alt+Enter: '联系\n电话', '已学时长\n（分钟）') goes,
    or becomes one space between two Latin words; everything else stays as written."""
    text = value.strip()
    if "\n" not in text and "\r" not in text and "\u2028" not in text and "\u2029" not in text:
        return text

    def join(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        return " " if before.isascii() and before.isalnum() and after.isascii() and after.isalnum() else ""

    return _LINE_BREAK.sub(join, text)


def _short(normalised: str) -> str:
    """'联系电话(手机)' → '联系电话'; a header that is nothing but brackets stays as it is."""
    return _TRAILING_BRACKETED.sub("", normalised) or normalised


@dataclass
class _Candidate:
    row: int
    hits: dict[str, list[tuple[int, str]]]  # field → every (column index, header as written)
    unclear: list[tuple[str, list[str]]]  # header as written → the fields it could mean


def find_header(sheet: Sheet, columns: Sequence[Column], *, scan_rows: int = 10,
                mapping: Mapping[str, str] | None = None) -> HeaderMatch:
    """The row among the first `scan_rows` that matches most columns and holds every required one.

    `mapping` (field → header as written in this file) is the clerk's word for columns the names do not find: a mapped
    header means that field only, and no other field's name is looked for in it."""
    names = {
        column.field: {normalise_header(text) for text in (column.label, *column.aliases)} - {""}
        for column in columns
    }
    if mapping:
        labels_by_field = {column.field: column.label for column in columns}
        by_header: dict[str, list[str]] = {}
        for field, text in mapping.items():
            by_header.setdefault(normalise_header(text), []).append(field)
        for fields in by_header.values():
            if len(fields) > 1:
                shown = "和".join(f"“{labels_by_field.get(f, f)}”" for f in fields)
                raise AdultSchoolError(f"表里的同一列“{mapping[fields[0]]}”被指定给了{shown}：每一列只能对应一项，请改正。",
                                       Where(sheet=sheet.name))
        taken = {normalise_header(text) for text in mapping.values()}
        names = {field: ({normalise_header(mapping[field])} if field in mapping else known - taken)
                 for field, known in names.items()}
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
        written = header_text(value)
        if len(matches) > 1:
            candidate.unclear.append((written, matches))
        elif matches:
            candidate.hits.setdefault(matches[0], []).append((column_index, written))
    return candidate


@dataclass(frozen=True)
class MappingProposal:
    """The row that looks most like the header, its cells as written, and a best guess of a column for each field."""

    row: int
    headers: tuple[str, ...]
    guesses: dict[str, int | None]


def header_row_guess(sheet: Sheet, columns: Sequence[Column], *, scan_rows: int = 10) -> int:
    """The 1-based row among the first `scan_rows` most like a header: most known names, else most text cells."""
    names = {c.field: {normalise_header(t) for t in (c.label, *c.aliases)} - {""} for c in columns}
    short_names = {field: {_short(name) for name in full} for field, full in names.items()}
    best, best_score = 1, (-1, -1)
    for index, row in enumerate(sheet.rows[:scan_rows]):
        candidate = _match_row(index + 1, row, names, short_names)
        texts = sum(1 for v in row if isinstance(v, str) and v.strip())
        score = (len(candidate.hits) + len(candidate.unclear), texts)
        if score > best_score and texts >= 2:
            best, best_score = index + 1, score
    return best


def suggest_mapping(sheet: Sheet, columns: Sequence[Column], *, scan_rows: int = 10) -> MappingProposal:
    """For the clerk who maps columns by hand: the header row and, per field, the column whose header is the field's
    name, or failing that the one most like it (shared characters); None when nothing is alike."""
    import difflib

    row = header_row_guess(sheet, columns, scan_rows=scan_rows)
    cells = sheet.rows[row - 1] if row - 1 < len(sheet.rows) else ()
    headers = tuple(header_text(v) if isinstance(v, str) else ("" if v is None else str(v)) for v in cells)
    normalised = [normalise_header(h) for h in headers]
    guesses: dict[str, int | None] = {}
    used: set[int] = set()
    for column in columns:
        known = [normalise_header(t) for t in (column.label, *column.aliases)]
        exact = next((i for i, h in enumerate(normalised) if h and (h in known or _short(h) in known)), None)
        guesses[column.field] = exact
        if exact is not None:
            used.add(exact)
    for column in columns:
        if guesses[column.field] is not None or not column.required:
            continue  # a loose guess only for a column the import cannot do without
        known = [normalise_header(t) for t in (column.label, *column.aliases)]
        best, best_ratio = None, 0.5
        for index, text in enumerate(normalised):
            if not text or index in used:
                continue
            ratio = max(difflib.SequenceMatcher(None, text, name).ratio() for name in known)
            if any(len(name) >= 2 and (name in text or text in name) for name in known):
                ratio = max(ratio, 0.8)
            if ratio > best_ratio:
                best, best_ratio = index, ratio
        guesses[column.field] = best
        if best is not None:
            used.add(best)
    return MappingProposal(row, headers, guesses)


def header_signature(headers: Sequence[str]) -> str:
    """The same header row written by the same township gives the same signature, whatever its blanks and brackets."""
    import hashlib

    key = "|".join(normalise_header(h) for h in headers if h)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def parse_map_option(columns: Sequence[Column], pairs: Sequence[str]) -> dict[str, str]:
    """`身份证号码=证件号码` (our column's name = the header in the file) → {"id_number": "证件号码"}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise AdultSchoolError(f"“{pair}”看不懂：请写成 本软件的列名=表里的列名，如 身份证号码=证件号码。")
        wanted = normalise_header(ours)
        field = next((c.field for c in columns if wanted in {normalise_header(t) for t in (c.label, *c.aliases, c.field)}),
                     None)
        if field is None:
            known = "、".join(c.label for c in columns)
            raise AdultSchoolError(f"没有名为“{ours.strip()}”的列。可以对应的列有：{known}。")
        mapping[field] = theirs.strip()
    return mapping
