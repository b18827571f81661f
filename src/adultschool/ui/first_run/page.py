"""What every page of the first-run wizard shares: the page ids (the order of the wizard), the base page with its
message line, and the size of the demo school."""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QWidget, QWizardPage

from adultschool.errors import AdultSchoolError
from adultschool.ui.common import MessageLabel

if TYPE_CHECKING:
    from adultschool.ui.first_run.wizard import FirstRunWizard

DEMO_LEARNERS = 300

START, IDENTITY, TOWNSHIPS, DISTRICT_PUBLIC, DISTRICT_KEYS, ADMIN, SUMMARY = range(7)


class FirstRunPage(QWizardPage):
    def __init__(self, title: str, subtitle: str = ""):
        super().__init__()
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        self.message = MessageLabel()
        self.first_field: QWidget | None = None

    def wizard(self) -> "FirstRunWizard":
        # Every page is added to a FirstRunWizard; that module imports the pages, so it is known here for mypy only.
        return cast("FirstRunWizard", super().wizard())

    def refuse(self, exc: AdultSchoolError | str, focus: QWidget | None = None) -> bool:
        self.message.show_message(str(exc), "error")
        if focus is not None:
            focus.setFocus()
        return False
