"""pytest-qt set-up for the GUI (after Vorta's tests/unit/conftest.py): headless Qt, a private data folder,
and real SQLite school databases in tmp_path. Every test module here sets `pytestmark = pytest.mark.gui`.
"""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import shutil  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable, Iterator  # noqa: E402

import openpyxl  # noqa: E402
import pytest  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from adultschool.db import Database, open_database, unit_of_work  # noqa: E402
from adultschool.models.enums import SiteKind  # noqa: E402
from adultschool.services import demo, site  # noqa: E402

SCHOOL_CODE = "330206-01"
SCHOOL_NAME = "北仑区测试成人文化技术学校"
TOWNSHIPS = ["大碶街道", "新碶街道"]
DEMO_LEARNERS = 3000


@pytest.fixture(scope="session", autouse=True)
def chinese_qapp(qapp):  # noqa: ANN001, ANN201 - pytest-qt's QApplication
    """The application as `run()` sets it up: qtbase_zh_CN (确定/取消) and a CJK font."""
    from adultschool.ui.app import prepare_application

    return prepare_application(qapp)


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Logs, backups and the default database go to tmp_path, never to the user's folders."""
    folder = tmp_path / "data"
    monkeypatch.setenv("ADULTSCHOOL_DATA_DIR", str(folder))
    monkeypatch.delenv("ADULTSCHOOL_DB", raising=False)
    return folder


def settle(qtbot) -> None:  # noqa: ANN001
    """Lets every background operation finish and deliver its result, then closes stray windows."""
    from PySide6.QtWidgets import QApplication

    from adultschool.ui import ops

    ops.wait_for_workers(60_000)
    qtbot.waitUntil(lambda: not ops.active_ops(), timeout=10_000)
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            widget.close()


@pytest.fixture
def school_db(tmp_path: Path, qtbot) -> Iterator[Database]:  # noqa: ANN001
    """A fresh school with two townships and no learners."""
    database = open_database(tmp_path / "school.sqlite3", create=True)
    with unit_of_work(database.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code=SCHOOL_CODE, name=SCHOOL_NAME, townships=TOWNSHIPS,
                        actor="test")
    yield database
    settle(qtbot)
    database.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo school with DEMO_LEARNERS learners, made once per session and copied for each test that wants it."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADULTSCHOOL_DATA_DIR", str(folder / "data"))
        database = open_database(folder / "demo.sqlite3", create=True)
        with unit_of_work(database.engine) as session:
            demo.fill_demo(session, learners=DEMO_LEARNERS, actor="test")
        database.close()
    return folder / "demo.sqlite3"


@pytest.fixture
def demo_size() -> int:
    return DEMO_LEARNERS


@pytest.fixture
def demo_db(tmp_path: Path, demo_template: Path, qtbot) -> Iterator[Database]:  # noqa: ANN001
    target = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_template, target)
    database = open_database(target)
    yield database
    settle(qtbot)
    database.close()


def make_id(birth: date, *, male: bool = True, county: str = "330206", serial: int = 1) -> str:
    """A valid 18-character resident ID number (GB 11643) for a made-up person."""
    sex_digit = (serial % 5) * 2 + (1 if male else 0)
    body = f"{county}{birth:%Y%m%d}{serial // 5 % 100:02d}{sex_digit}"
    return body + ric.calc_check_digit(body + "0")


def years_ago(years: int, *, days_before: int = 30, today: date | None = None) -> date:
    """A birth date that makes someone exactly `years` old today (born `days_before` days before the birthday)."""
    today = today or date.today()
    birthday = date(today.year - years, today.month, min(today.day, 28))
    return date.fromordinal(birthday.toordinal() - days_before)


def type_text(qtbot, widget, text: str) -> None:  # noqa: ANN001
    """Types like a clerk: ASCII as key presses, Chinese (and full-width digits) as an IME commits it."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    if text.isascii():
        qtbot.keyClicks(widget, text)
        return
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


@pytest.fixture(name="type_text")
def type_text_fixture(qtbot) -> Callable[..., None]:  # noqa: ANN001
    return lambda widget, text: type_text(qtbot, widget, text)


@pytest.fixture(name="make_id")
def make_id_fixture() -> Callable[..., str]:
    return make_id


@pytest.fixture(name="years_ago")
def years_ago_fixture() -> Callable[..., date]:
    return years_ago


ROSTER_HEADERS = ["序号", "姓名", "性别", "文化程度", "身份证号码", "工作单位或家庭地址", "联系电话", "学历提升层次"]


def write_roster(path: Path, rows: list[list[object]], *, unit: str = "大碶街道") -> Path:
    """An R13 registration summary form as townships send it: a '单位' line, the header, then the rows."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("报名汇总表")
    sheet.append([f"单位：{unit}"])
    sheet.append(ROSTER_HEADERS)
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    workbook.save(path)
    return path


@pytest.fixture(name="write_roster")
def write_roster_fixture() -> Callable[..., Path]:
    return write_roster
