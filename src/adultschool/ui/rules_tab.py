"""设置 → 规则: one editor per rule of the rules table, chosen by the type of its default, with the default beside it;
at a school the rules the district sets are shown but locked, at a district which rules its schools may set."""
from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from adultschool.rule_defaults import RULE_SPECS, RuleSpec, Rules
from adultschool.ui.common import HINT_COLOUR, MessageLabel
from adultschool.ui.widgets import hint_label


_LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def shown_value(value: Any) -> str:
    """A rule's value as the clerk reads and types it."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "、".join(str(v) for _k, v in sorted(value.items()))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class RuleField:
    """One rule's editor, chosen by the type of its default: a check box, a spin box or a line of text."""

    def __init__(self, spec: RuleSpec):
        self.spec = spec
        default = spec.default
        self.kind = type(default)
        number_width = QLabel().fontMetrics().horizontalAdvance("0") * 12
        if isinstance(default, bool):
            self.widget: QCheckBox | QSpinBox | QDoubleSpinBox | QLineEdit = QCheckBox("是")
        elif isinstance(default, int) and not spec.check(default + 0.5):  # whole numbers only (ages, months)
            box = QSpinBox()
            box.setRange(0, 9999)  # wide on purpose: the rule's own range is the service's to say
            box.setAlignment(Qt.AlignmentFlag.AlignRight)
            box.setFixedWidth(number_width)
            self.widget = box
        elif isinstance(default, (int, float)):  # the rule takes fractions too (hours, marks, shares)
            double = QDoubleSpinBox()
            double.setRange(0, 9999)
            double.setDecimals(2 if default < 1 else 1)
            double.setSingleStep(0.05 if default < 1 else 1)
            double.setAlignment(Qt.AlignmentFlag.AlignRight)
            double.setFixedWidth(number_width)
            self.widget = double
        else:
            edit = QLineEdit()
            if isinstance(default, list):
                edit.setPlaceholderText("多个用顿号或逗号隔开")
            elif isinstance(default, dict):
                edit.setPlaceholderText("年-月-日，每年一个，用顿号隔开，如 2026-03-31")
            else:
                edit.setPlaceholderText("月-日，如 03-31")
            self.widget = edit
        self.widget.setToolTip(f"{spec.label}（{spec.source}）")
        self.label = QLabel(spec.label)
        self.label.setBuddy(self.widget)
        self.label.setWordWrap(True)
        self.default_label = QLabel(f"默认：{shown_value(default)}")
        self.default_label.setStyleSheet(f"color: {HINT_COLOUR};")
        self.default_label.setWordWrap(True)
        self.error = MessageLabel()
        self.loaded: Any = default

    def set_value(self, value: Any) -> None:
        self.loaded = value
        widget = self.widget
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            widget.setValue(value)
        else:
            widget.setText(shown_value(value))
            widget.setCursorPosition(0)  # a long list shows its beginning
        self.error.show_message(None)

    def value(self) -> Any:
        """What the editor holds, as the rule's type; text that does not parse is handed on for the service to refuse."""
        widget = self.widget
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QSpinBox):
            return widget.value()
        if isinstance(widget, QDoubleSpinBox):
            number = round(widget.value(), 2)
            return int(number) if number.is_integer() and self.kind is int else number
        text = widget.text().strip()
        if self.kind is list:
            return split_list(text)
        if self.kind is dict:
            return {day[:4]: day for day in split_list(text)}
        return text

    def changed(self) -> bool:
        value = self.value()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(self.loaded, (int, float)):
            return abs(value - self.loaded) > 1e-9
        return value != self.loaded


class RulesTab(QWidget):
    def __init__(self, parent: QWidget | None = None, *, at_district: bool = False):
        super().__init__(parent)
        self.fields: dict[str, RuleField] = {spec.key: RuleField(spec) for spec in RULE_SPECS}
        # At a district: per rule, whether its schools may set it for themselves (the rest is the district's).
        self.allow_boxes: dict[str, QCheckBox] = {key: QCheckBox("学校可自行设定") for key in self.fields} \
            if at_district else {}
        self.loaded_may_change: frozenset[str] = frozenset()
        grid = QGridLayout()
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 2)
        grid.setColumnMinimumWidth(0, self.fontMetrics().horizontalAdvance("中") * 12)
        for number, field in enumerate(self.fields.values()):
            grid.addWidget(field.label, number * 2, 0)
            grid.addWidget(field.widget, number * 2, 1, Qt.AlignmentFlag.AlignLeft if not isinstance(field.widget, QLineEdit)
                           else Qt.AlignmentFlag(0))
            grid.addWidget(field.default_label, number * 2, 2)
            if field.spec.key in self.allow_boxes:
                grid.addWidget(self.allow_boxes[field.spec.key], number * 2, 3)
            grid.addWidget(field.error, number * 2 + 1, 1, 1, 2)
        inner = QWidget()
        inner.setLayout(grid)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(inner)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(hint_label("这些规则决定报名年龄、可报考的条件、课程和及格分数等，一般由分中心统一规定。"
                                    "改动从保存时起生效，并记入审计记录。"))
        layout.addWidget(self.scroll_area, 1)
        widgets = [f.widget for f in self.fields.values()]
        for first, second in zip(widgets, widgets[1:]):
            QWidget.setTabOrder(first, second)

    def load(self, current: Rules, locked: frozenset[str] = frozenset(),
             may_change: frozenset[str] = frozenset()) -> None:
        """The values in force; those the district sets for every school (`locked`) are shown but cannot be edited;
        at a district, which rules its schools may set (`may_change`)."""
        self.loaded_may_change = may_change
        for key, box in self.allow_boxes.items():
            box.setChecked(key in may_change)
        for key, field in self.fields.items():
            field.set_value(current.values[key])
            field.widget.setEnabled(key not in locked)
            if key in locked:
                field.default_label.setText("由分中心统一规定（随分中心数据包更新）")
                field.widget.setToolTip(f"{field.spec.label}：由分中心统一规定，本校不能修改")
            else:
                field.default_label.setText(f"默认：{shown_value(field.spec.default)}")
                field.widget.setToolTip(f"{field.spec.label}（{field.spec.source}）")

    def changes(self) -> dict[str, Any]:
        return {key: field.value() for key, field in self.fields.items() if field.changed()}

    def may_change(self) -> frozenset[str] | None:
        """At a district: the rules ticked 学校可自行设定, when that differs from what was loaded (None: unchanged)."""
        ticked = frozenset(key for key, box in self.allow_boxes.items() if box.isChecked())
        return ticked if self.allow_boxes and ticked != self.loaded_may_change else None

    def clear_errors(self) -> None:
        for field in self.fields.values():
            field.error.show_message(None)

    def show_error(self, key: str, text: str) -> None:
        field = self.fields[key]
        field.error.show_message(text, "error")
        self.scroll_area.ensureWidgetVisible(field.widget)
        field.widget.setFocus()
