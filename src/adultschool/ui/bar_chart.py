"""A horizontal bar chart of progress toward a target (registered vs quota per township), drawn with QPainter.

Qt Charts is not in PySide6-Essentials and would add ~100 MB for one chart, so this draws simple bars with labels
and percentages itself. Layout is plain arithmetic (`bar_rects`) so a test can check it without looking at pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

TRACK_COLOUR = QColor("#e6e9ee")
BAR_COLOUR = QColor("#3a78c3")
DONE_COLOUR = QColor("#2e8b57")  # reached or passed the target
TARGET_LINE_COLOUR = QColor("#555555")
TEXT_COLOUR = QColor("#222222")
HINT_COLOUR = QColor("#777777")
MAX_SCALE = 1.5  # bars past 150 % are drawn at 150 %; the percentage says the rest


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    target: int | None  # None or 0: no target set, only the value is written

    @property
    def ratio(self) -> float | None:
        return self.value / self.target if self.target else None


def percent_text(bar: Bar) -> str:
    if bar.ratio is None:
        return f"{bar.value}（未定任务数）"
    return f"{bar.value} / {bar.target}  {bar.ratio * 100:.1f}%"


class BarChart(QWidget):
    """One row per bar: label, a grey track for the target, the filled part for the value, a 100 % mark, the numbers."""

    def __init__(self, parent: QWidget | None = None, *, title: str = "", empty_text: str = "没有数据"):
        super().__init__(parent)
        self._bars: list[Bar] = []
        self._title = title
        self._empty_text = empty_text
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    # --- data ----------------------------------------------------------------------------------------------

    def set_bars(self, bars: list[Bar]) -> None:
        self._bars = list(bars)
        self.updateGeometry()
        self.update()

    def bars(self) -> list[Bar]:
        return list(self._bars)

    def set_title(self, title: str) -> None:
        self._title = title
        self.update()

    def title(self) -> str:
        return self._title

    # --- geometry ------------------------------------------------------------------------------------------

    def _metrics(self) -> QFontMetrics:
        return QFontMetrics(self.font())

    def _min_row_height(self) -> int:
        return int(self._metrics().height() * 1.9)

    def _row_height(self) -> int:
        """Rows share the height the widget has, between 1.9 and 2.8 lines of text each."""
        height = self._metrics().height()
        room = self.height() - self._title_height() - height - 12
        share = room // len(self._bars) if self._bars else 0
        return max(self._min_row_height(), min(int(height * 2.8), share))

    def _title_height(self) -> int:
        return int(self._metrics().height() * 2) if self._title else 8

    def _columns(self, width: int) -> tuple[float, float, float]:
        """(left of the track, width of the track, left of the numbers)."""
        metrics = self._metrics()
        label_width = max([metrics.horizontalAdvance(b.label) for b in self._bars] + [metrics.horizontalAdvance("街道")])
        numbers_width = max([metrics.horizontalAdvance(percent_text(b)) for b in self._bars]
                            + [metrics.horizontalAdvance("0000 / 0000  100.0%")])
        left = 12 + label_width + 10
        track = max(40.0, width - left - numbers_width - 24)
        return left, track, left + track + 10

    def _scale(self) -> float:
        ratios = [b.ratio for b in self._bars if b.ratio is not None]
        return min(max([1.0, *ratios]), MAX_SCALE)

    def bar_rects(self) -> list[QRectF]:
        """Where each bar's filled part is drawn at the current size (empty for a bar without a target)."""
        left, track, _numbers = self._columns(self.width())
        scale, row = self._scale(), self._row_height()
        rects = []
        for number, bar in enumerate(self._bars):
            top = self._title_height() + number * row + row * 0.2
            ratio = min(bar.ratio or 0.0, scale)
            rects.append(QRectF(left, top, track * ratio / scale, row * 0.6))
        return rects

    def sizeHint(self) -> QSize:
        return QSize(640, self.minimumSizeHint().height())

    def minimumSizeHint(self) -> QSize:
        rows = max(len(self._bars), 1)
        return QSize(320, self._title_height() + rows * self._min_row_height() + self._metrics().height() + 12)

    # --- painting ------------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        metrics = self._metrics()
        if self._title:
            font = painter.font()
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(TEXT_COLOUR)
            painter.drawText(QRectF(12, 0, self.width() - 24, self._title_height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._title)
            font.setBold(False)
            painter.setFont(font)
        if not self._bars:
            painter.setPen(HINT_COLOUR)
            painter.drawText(QRectF(12, self._title_height(), self.width() - 24, self._row_height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._empty_text)
            painter.end()
            return
        left, track, numbers = self._columns(self.width())
        scale, row = self._scale(), self._row_height()
        for number, (bar, filled) in enumerate(zip(self._bars, self.bar_rects())):
            top = self._title_height() + number * row
            painter.setPen(TEXT_COLOUR)
            painter.drawText(QRectF(12, top, left - 22, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             bar.label)
            if bar.ratio is not None:
                painter.fillRect(QRectF(left, filled.top(), track / scale, filled.height()), TRACK_COLOUR)
                if filled.width() > 0:
                    painter.fillRect(filled, DONE_COLOUR if bar.ratio >= 1 else BAR_COLOUR)
            painter.setPen(TEXT_COLOUR if bar.ratio is not None else HINT_COLOUR)
            painter.drawText(QRectF(numbers, top, self.width() - numbers - 6, row),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, percent_text(bar))
        # The 100 % mark across all rows, and its caption under the last one.
        mark = left + track / scale
        bottom = self._title_height() + len(self._bars) * row
        painter.setPen(QPen(TARGET_LINE_COLOUR, 1, Qt.PenStyle.DashLine))
        painter.drawLine(int(mark), self._title_height(), int(mark), int(bottom))
        painter.setPen(HINT_COLOUR)
        caption = "任务数 100%"
        painter.drawText(QRectF(mark - metrics.horizontalAdvance(caption) / 2, bottom + 2,
                                metrics.horizontalAdvance(caption) + 4, metrics.height() + 4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, caption)
        painter.end()
