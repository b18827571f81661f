"""The header names and cell words townships write (resources/synonyms.json): data a district may extend, not code.

Pure: read once from the resources folder; `with_aliases` adds a kind of import's extra header names to its columns.
"""
from __future__ import annotations

import functools
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

from adultschool.paths import resources_dir

if TYPE_CHECKING:  # the xlsx package (workbook readers and writers) is not needed to look up a synonym
    from adultschool.xlsx.headers import Column

FILE_NAME = "synonyms.json"


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    try:
        return json.loads((resources_dir() / FILE_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def header_aliases(kind: str, field: str) -> tuple[str, ...]:
    return tuple(_data().get("headers", {}).get(kind, {}).get(field, ()))


def with_aliases(kind: str, columns: Sequence[Column]) -> tuple[Column, ...]:
    """The columns with the file's extra header names for this kind of import (roster, survey, attendance …)."""
    out = []
    for column in columns:
        extra = [a for a in header_aliases(kind, column.field) if a not in column.aliases and a != column.label]
        out.append(replace(column, aliases=(*column.aliases, *extra)) if extra else column)
    return tuple(out)


@functools.lru_cache(maxsize=32)
def value_words(kind: str) -> dict[str, tuple[str, ...]]:
    """Meaning → the words that say it, for one kind of cell (willingness, attendance, level)."""
    return {meaning: tuple(words) for meaning, words in _data().get("values", {}).get(kind, {}).items()}


@functools.lru_cache(maxsize=32)
def word_map(kind: str) -> dict[str, str]:
    """Word → meaning for one kind of cell; a word listed under two meanings means neither (never guessed)."""
    found: dict[str, str] = {}
    clashing: set[str] = set()
    for meaning, words in value_words(kind).items():
        for word in words:
            if word in found and found[word] != meaning:
                clashing.add(word)
            found[word] = meaning
    return {word: meaning for word, meaning in found.items() if word not in clashing}


@functools.lru_cache(maxsize=1)
def no_value_words() -> frozenset[str]:
    """Words that say a field was left empty on purpose (无, 暂无 …)."""
    return frozenset(_data().get("values", {}).get("no_value", ()))


@functools.lru_cache(maxsize=1)
def footer_words() -> tuple[str, ...]:
    """What lines under a table start with (填表人：…, 审核人：…, 日期：…)."""
    return tuple(_data().get("values", {}).get("footer", ()))
