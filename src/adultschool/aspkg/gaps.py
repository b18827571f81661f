"""Missing package numbers as counts and ranges ("缺 3 个：第 5–7 号"), never as a list of every number.

A school's sequence numbers come from outside: a package numbered 2^62 must cost no more to report than one numbered
7, so gaps are worked out from the numbers actually received (each one a package someone imported) and kept as
ranges.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, TypeGuard

# Ranges shown in a sentence; the count stays exact however many there are.
SHOWN_RANGES = 5
# Ranges kept in a receipt: a school acts on the first few, and a receipt must stay small.
KEPT_RANGES = 50


@dataclass(frozen=True)
class Gaps:
    count: int = 0
    ranges: tuple[tuple[int, int], ...] = ()  # (first, last) of each run of missing numbers, in order
    more_ranges: int = 0  # runs not listed in `ranges`

    def __bool__(self) -> bool:
        return self.count > 0

    def numbers_text(self, shown: int = SHOWN_RANGES) -> str:
        """'第 2 号、第 5–7 号' (the first few runs, then how many more)."""
        parts = [f"第 {a} 号" if a == b else f"第 {a}–{b} 号" for a, b in self.ranges[:shown]]
        rest = len(self.ranges) - len(parts) + self.more_ranges
        if rest > 0:
            parts.append(f"另有 {rest} 段")
        return "、".join(parts)

    def text(self) -> str:
        """'缺 3 个：第 5–7 号', or '' when nothing is missing."""
        return f"缺 {self.count} 个：{self.numbers_text()}" if self.count else ""

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "ranges": [[a, b] for a, b in self.ranges], "more_ranges": self.more_ranges}

    @classmethod
    def from_json(cls, value: Any) -> "Gaps":
        """A receipt's gaps; anything malformed reads as none (a receipt is signed, so only a bug could make it so)."""
        if not isinstance(value, dict):
            return cls()
        count, ranges, more = value.get("count"), value.get("ranges"), value.get("more_ranges", 0)
        if not _is_count(count) or not isinstance(ranges, list) or not _is_count(more):
            return cls()
        pairs = []
        for pair in ranges[:KEPT_RANGES]:
            if isinstance(pair, list) and len(pair) == 2 and all(_is_count(n) for n in pair) and pair[0] <= pair[1]:
                pairs.append((pair[0], pair[1]))
        return cls(count, tuple(pairs), more)


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def find_gaps(received: Iterable[int], *, after: int = 0, keep: int = KEPT_RANGES) -> Gaps:
    """The numbers above `after` and below the highest received that were not received.

    `received` may hold numbers at or below `after` (ignored) and duplicates; it is sorted here, so the cost is that
    of the numbers received, whatever their size."""
    numbers = sorted({n for n in received if n > after})
    count, more = 0, 0
    ranges: list[tuple[int, int]] = []
    previous = after
    for number in numbers:
        if number > previous + 1:
            count += number - previous - 1
            if len(ranges) < keep:
                ranges.append((previous + 1, number - 1))
            else:
                more += 1
        previous = number
    return Gaps(count, tuple(ranges), more)
