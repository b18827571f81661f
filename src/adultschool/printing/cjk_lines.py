"""Line breaking of a certificate's body text, Chinese style: character by character with kinsoku (what may not start
or end a line), names and short codes never split, a run of digits or Latin letters kept with its unit; widths
measured in the embedded font."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from adultschool.errors import AdultSchoolError
from adultschool.printing.fonts import PdfFont


# Kinsoku: what may not start a line, and what may not end one.
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’…—·%,.;:?!)]}")
_NO_LINE_END = frozenset("（《「『【〔〈“‘([{")


class _Widths:
    """Advance widths per character at 1000 pt, cached: a thousand certificates measure the same text."""

    def __init__(self, font: PdfFont):
        self._font = font.name
        self._cache: dict[str, float] = {}

    def units(self, text: str) -> float:
        cache = self._cache
        total = 0.0
        for char in text:
            width = cache.get(char)
            if width is None:
                width = cache[char] = pdfmetrics.stringWidth(char, self._font, 1000)
            total += width
        return total


@dataclass(frozen=True)
class _Token:
    text: str
    units: float
    value: int | None = None  # which filled-in value (its place in the text) this piece belongs to


@dataclass(frozen=True)
class _Line:
    tokens: tuple[_Token, ...]
    justify: bool

    @property
    def text(self) -> str:
        return "".join(token.text for token in self.tokens)


@dataclass(frozen=True)
class _Body:
    lines: tuple[_Line, ...]
    size: float
    leading: float


# A name is never split across lines (nor are the other short codes); other values break like any Chinese
# text, except that a run of digits or Latin letters stays together with its unit (2025年, 9月, K7Q2M9).
_WHOLE_VALUES = frozenset({"name", "gender", "certificate_number", "check_code"})
_PIECES = re.compile(r"[0-9A-Za-z]+[年月日号]?|.", re.DOTALL)


def _tokens(text: str, values: dict[str, str], widths: _Widths) -> list[_Token]:
    tokens: list[_Token] = []
    for occurrence, (literal, field, _, _) in enumerate(string.Formatter().parse(text)):
        tokens.extend(_Token(char, widths.units(char)) for char in literal)
        value = values[field] if field is not None else ""
        if not value:
            continue
        if field in _WHOLE_VALUES:
            tokens.append(_Token(value, widths.units(value), occurrence))
        else:
            tokens.extend(_Token(piece, widths.units(piece), occurrence) for piece in _PIECES.findall(value))
    return tokens


def _wrap(tokens: list[_Token], width_units: float, indent_units: float, widths: _Widths) -> list[_Line]:
    """Greedy lines of at most `width_units` (at 1000 pt), first line indented, with Chinese line-break rules."""
    pieces: list[_Token] = []
    for token in tokens:
        if len(token.text) > 1 and token.units > width_units - indent_units:  # cannot stay whole: split it
            pieces.extend(_Token(char, widths.units(char), token.value) for char in token.text)
        else:
            pieces.append(token)
    lines: list[list[_Token]] = []
    current: list[_Token] = []
    used, available = 0.0, width_units - indent_units
    for token in pieces:
        if not current and token.text == " ":
            continue
        if current and used + token.units > available:
            carried: list[_Token] = []
            if token.text[0] in _NO_LINE_START and len(current) > 1:
                carried.insert(0, current.pop())
            while len(current) > 1 and current[-1].text[-1] in _NO_LINE_END:
                carried.insert(0, current.pop())
            lines.append(current)
            current, available = carried, width_units
            used = sum(piece.units for piece in carried)
        current.append(token)
        used += token.units
    if current:
        lines.append(current)
    result = []
    for index, line in enumerate(lines):
        while line and line[-1].text == " ":
            line.pop()
        result.append(_Line(tuple(line), justify=index < len(lines) - 1))
    return result


def _layout_body(template: dict[str, Any], values: dict[str, str], widths: _Widths, who: str) -> _Body:
    """Wrap the body at its template size, shrinking by half points until it (and the skill line) fits."""
    body = template["body"]
    extra_lines = 1 if template["skill_certificate"] and values["skill_certificate"] else 0
    tokens = _tokens(body["text"], values, widths)
    size = float(body["size_pt"])
    while True:
        leading = size * body["line_spacing"]
        width_units = body["width_mm"] * mm * 1000 / size
        lines = _wrap(tokens, width_units, body["indent_chars"] * 1000, widths)
        if (len(lines) - 1 + extra_lines) * leading + size <= body["height_mm"] * mm:
            return _Body(tuple(lines), size, leading)
        if size - 0.5 < body["min_size_pt"]:
            raise AdultSchoolError(
                f"{who}的证书正文太长，按最小字号 {body['min_size_pt']} 磅也排不下：请在证书模板里加大"
                "“body.height_mm”或改小“body.min_size_pt”，或缩短学校名称后再打印。")
        size -= 0.5
