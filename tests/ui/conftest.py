"""pytest-qt set-up for the GUI (after Vorta's tests/unit/conftest.py): headless Qt, a private data folder,
and real SQLite school databases in tmp_path. Every test module here sets `pytestmark = pytest.mark.gui`.
"""
from __future__ import annotations

import os
from testclock import TODAY

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import openpyxl
import pytest
from stdnum.cn import ric

from adultschool.db import Database, open_database, unit_of_work
from adultschool.models.enums import SiteKind
from adultschool.services import demo, site

from factories import copy_migrated

if TYPE_CHECKING:
    from adultschool.services.registration import Registered
    from adultschool.ui.main_window import MainWindow

SCHOOL_CODE = "330206-01"
ISSUER = "北仑区成人“双证制”教育培训领导小组办公室"
SCHOOL_NAME = "北仑区测试成人文化技术学校"
TOWNSHIPS = ["大碶街道", "新碶街道"]
DEMO_LEARNERS = 3000


@pytest.fixture(scope="session", autouse=True)
def chinese_qapp(qapp):  # pytest-qt's QApplication
    """The application as `run()` sets it up: qtbase_zh_CN (确定/取消) and a CJK font."""
    from PySide6.QtGui import QGuiApplication

    from adultschool.ui.app import prepare_application

    yield prepare_application(qapp)
    # The offscreen platform keeps the clipboard in a static that C++ deletes after Python has ended: a QMimeData made
    # in Python (table_copy's rows) would be deleted then and crash the process at exit (signal 11, every test passed).
    QGuiApplication.clipboard().clear()


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Logs, backups and the default database go to tmp_path, never to the user's folders."""
    folder = tmp_path / "data"
    monkeypatch.setenv("ADULTSCHOOL_DATA_DIR", str(folder))
    monkeypatch.delenv("ADULTSCHOOL_DB", raising=False)
    return folder


def settle(qtbot) -> None:
    """Lets every background operation finish and deliver its result, then closes stray windows."""
    from PySide6.QtWidgets import QApplication

    from adultschool.ui import ops

    ops.wait_for_workers(60_000)
    qtbot.waitUntil(lambda: not ops.active_ops(), timeout=10_000)
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            widget.close()


@pytest.fixture
def school_db(tmp_path: Path, qtbot, migrated_template: Path) -> Iterator[Database]:
    """A fresh school with two townships and no learners (on a copy of the migrated template)."""
    database = open_database(copy_migrated(migrated_template, tmp_path / "school.sqlite3"))
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
def demo_db(tmp_path: Path, demo_template: Path, qtbot) -> Iterator[Database]:
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
    today = today or TODAY
    birthday = date(today.year - years, today.month, min(today.day, 28))
    return date.fromordinal(birthday.toordinal() - days_before)


def type_text(qtbot, widget, text: str) -> None:
    """Types like a clerk: ASCII as key presses, Chinese (and full-width digits) as an IME commits it."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    if text.isascii():
        qtbot.keyClicks(widget, text)
        return
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def open_window(qtbot, database: Database, *, day: date | None = None) -> MainWindow:
    """The main window on `database`, shown; its day is the clock's, or `day` (a window whose day differs from it)."""
    from adultschool.ui.main_window import MainWindow

    window = MainWindow(database) if day is None else MainWindow(database, today=lambda: day)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def register_in_window(qtbot, window: MainWindow, id_number: str, name: str = "欧阳淼") -> Registered:
    """登记学员 (Ctrl+N) through the window's form, as a clerk fills it (初中, the first township); what it registered."""
    from PySide6.QtCore import Qt

    window.register_action.trigger()
    dialog = window.dialog
    type_text(qtbot, dialog.name_edit, name)
    type_text(qtbot, dialog.id_edit, id_number)
    dialog.level_combo.setCurrentIndex(dialog.level_combo.findText("初中"))
    dialog.township_combo.setCurrentIndex(0)
    with qtbot.waitSignal(dialog.registered, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


@pytest.fixture(name="type_text")
def type_text_fixture(qtbot) -> Callable[..., None]:
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


# --- classes, roll calls and readiness ------------------------------------------------------------------------

SMALL_DEMO_LEARNERS = 300


@pytest.fixture(name="wait_ops")
def wait_ops_fixture(qtbot) -> Callable[[], None]:
    """Waits until every background operation has run and its result has reached the screen."""
    from adultschool.ui import ops

    def wait() -> None:
        ops.wait_for_workers(60_000)
        qtbot.waitUntil(lambda: not ops.active_ops(), timeout=20_000)

    return wait


def enrol(database: Database, name: str, *, level: str = "高中", serial: int = 1,
          registered_on: date | None = None, id_number: str | None = None) -> str:
    """Registers one learner through the registration service; returns the student number."""
    from adultschool.services import registration
    from adultschool.services.registration import RegistrationInput
    from adultschool.services.rules import load_rules

    day = registered_on or TODAY
    birth = date(1980 + serial % 20, serial % 12 + 1, serial % 27 + 1)
    with unit_of_work(database.engine) as session:
        registered, _ = registration.register_one(session, RegistrationInput(township="大碶街道",
            name=name, id_number=id_number or make_id(birth, serial=serial), level=level, registered_on=day),
            load_rules(session), actor="test", today=day)
    return registered.student_number


@pytest.fixture(name="enrol")
def enrol_fixture() -> Callable[..., str]:
    return enrol


CLASS_NAME = "大碶街道夜校班（高中）"
CLASS_START_DAYS = 120
SENIOR_NAMES = ["陈堃", "王喆", "李赟", "张犇"]


@pytest.fixture
def night_class(school_db):
    """A senior night class of four learners, begun CLASS_START_DAYS ago, with one 2-hour session today; a junior
    learner stays outside."""
    from adultschool.models.enums import ClassType, Level
    from adultschool.services import classes

    numbers = [enrol(school_db, name, serial=i) for i, name in enumerate(SENIOR_NAMES, start=1)]
    junior = enrol(school_db, "赵初中", level="初中", serial=9)
    with unit_of_work(school_db.engine) as session:
        started = TODAY - timedelta(days=CLASS_START_DAYS)
        info = classes.create_class(session, name=CLASS_NAME, class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=started, teaching_site="大碶街道社区学校", teacher="王老师", actor="test")
        classes.add_members(session, info.id, numbers, joined_on=started, actor="test")
        lesson = classes.create_session(session, info.id, held_on=TODAY, hours=2.0, course="成人高中语文",
                                        topic="第1讲", actor="test")
    return {"class": info, "session": lesson, "numbers": numbers, "junior": junior}


@pytest.fixture(scope="session")
def small_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo school of a few hundred learners, with classes, sessions, roll calls and study records."""
    folder = tmp_path_factory.mktemp("small-demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADULTSCHOOL_DATA_DIR", str(folder / "data"))
        database = open_database(folder / "demo.sqlite3", create=True)
        with unit_of_work(database.engine) as session:
            demo.fill_demo(session, learners=SMALL_DEMO_LEARNERS, actor="test")
        database.close()
    return folder / "demo.sqlite3"


@pytest.fixture
def small_demo_db(tmp_path: Path, small_demo_template: Path, qtbot) -> Iterator[Database]:
    target = tmp_path / "small-demo.sqlite3"
    shutil.copyfile(small_demo_template, target)
    database = open_database(target)
    yield database
    settle(qtbot)
    database.close()


# --- exams, graduation and certificates -----------------------------------------------------------------------

SENIOR_COURSES = ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"]
READY_NAMES = ["陈堃", "王喆", "李赟"]


def ready_learner(database: Database, folder: Path, name: str, serial: int) -> str:
    """A senior learner registered on 31 January 2026 with 20 video hours imported: ready from 30 April."""
    from adultschool.services import study

    id_number = make_id(date(1988, 6, 1), serial=serial)
    number = enrol(database, name, serial=serial, id_number=id_number, registered_on=date(2026, 1, 31))
    workbook = openpyxl.Workbook()
    workbook.active.append(["身份证号码", "课程", "视频", "已学时长(分钟)"])
    for lesson in range(20):
        workbook.active.append([id_number, "成人高中数学", f"第{lesson}讲", 60])
    path = folder / f"study-{serial}.xlsx"
    workbook.save(path)
    with unit_of_work(database.engine) as session:
        study.import_study(session, path, actor="test")
    return number


def write_results(path: Path, rows: list[tuple[object, ...]]) -> Path:
    """The district's results sheet: 学籍号, 姓名, 课程, 成绩, 考试日期."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["学籍号", "姓名", "课程", "成绩", "考试日期"])
    for row in rows:
        workbook.active.append(list(row))
    workbook.save(path)
    return path


@pytest.fixture
def ready_school(school_db, tmp_path: Path) -> dict[str, str]:
    """Three senior learners, ready for the exam today (student number -> name); the folder holds their study files."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    return {ready_learner(school_db, folder, name, serial): name for serial, name in enumerate(READY_NAMES, start=1)}


@pytest.fixture
def graduates(school_db, ready_school, tmp_path: Path) -> dict[str, str]:
    """The three ready learners applied, passed every course and graduated (student number -> name)."""
    from adultschool.models import Level
    from adultschool.services import certificate_settings, exam_applications, exam_results, graduation

    with unit_of_work(school_db.engine) as session:
        exam_applications.apply_for_exam(session, TODAY, round_name="测试批次", actor="test")
    results = write_results(tmp_path / "inputs" / "results.xlsx",
                            [(number, name, course, 80, TODAY.isoformat())
                             for number, name in ready_school.items() for course in SENIOR_COURSES])
    with unit_of_work(school_db.engine) as session:
        exam_results.import_results(session, results, actor="test")
    with unit_of_work(school_db.engine) as session:
        graduation.graduate(session, TODAY, actor="test")
        for level in Level:  # what 设置 → 证书 holds at a school that prints certificates
            certificate_settings.set_wording(session, level, issuer=ISSUER, actor="test")
    return ready_school
