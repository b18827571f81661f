"""可报考: the summary and the rows agree with `readiness()`, the colours say who is ready, and a row opens its study detail."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt

from adultschool.db import read_session
from adultschool.models.enums import Level
from adultschool.services import classes, readiness
from adultschool.ui.readiness_model import HEADERS, NOT_YET, READY, READY_BACKGROUND, SOON, SOON_BACKGROUND
from adultschool.ui.readiness_page import ReadinessPage
from adultschool.ui.study_detail_dialog import StudyDetailDialog
from testclock import TODAY

pytestmark = pytest.mark.gui


@pytest.fixture
def page(qtbot, small_demo_db):
    widget = ReadinessPage(small_demo_db.engine)
    qtbot.addWidget(widget)
    widget.resize(1300, 700)
    with qtbot.waitSignal(widget.computed, timeout=30_000):
        widget.show()  # the first showing computes
    return widget


def service_rows(database, as_of: date, **filters):
    with read_session(database.engine) as session:
        return readiness.readiness(session, as_of, **filters)


def soon(rows, as_of: date, days: int = 30) -> list:
    return [r for r in rows if not r.ready and r.days_to_ready(as_of) is not None and r.days_to_ready(as_of) <= days]


def column(page: ReadinessPage, header: str) -> list[str]:
    index = HEADERS.index(header)
    return [page.model.index(row, index).data() for row in range(page.model.rowCount())]


def test_the_summary_counts_what_readiness_says_for_today(page, small_demo_db):
    rows = service_rows(small_demo_db, TODAY)
    ready = [r for r in rows if r.ready]
    assert ready and soon(rows, TODAY)  # the demo school has both kinds
    assert page.shown_summary() == (
        f"共 {len(rows)} 个学籍：可报考 {len(ready)}，30 天内可报考 {len(soon(rows, TODAY))}")
    assert page.model.rowCount() == len(rows)
    assert column(page, "学籍号") == [r.student_number for r in rows]
    assert all("********" in text for text in column(page, "身份证号码"))


def test_the_ready_filter_shows_only_ready_rows(page, small_demo_db):
    ready = [r for r in service_rows(small_demo_db, TODAY) if r.ready]
    page.select_state(READY)
    assert page.model.rowCount() == len(ready)
    assert set(column(page, "可报考")) == {"是"}
    assert set(column(page, "还差")) == {""}
    assert page.shown_label.text() == f"显示 {len(ready)} 行"


def test_the_almost_ready_filter_follows_the_number_of_days(page, small_demo_db):
    rows = service_rows(small_demo_db, TODAY)
    page.select_state(SOON)
    assert page.state_combo.currentText() == "即将可报考（30 天内）"
    assert page.model.rowCount() == len(soon(rows, TODAY))
    page.days_spin.setValue(60)
    assert page.state_combo.currentText() == "即将可报考（60 天内）"
    assert page.model.rowCount() == len(soon(rows, TODAY, 60))
    assert "60 天内可报考" in page.shown_summary()
    assert all(text.startswith("学习时限不足") for text in column(page, "还差"))
    page.select_state(NOT_YET)
    assert page.model.rowCount() == len(rows) - len([r for r in rows if r.ready]) - len(soon(rows, TODAY, 60))


def test_ready_rows_are_green_almost_ready_amber_and_the_rest_plain(qtbot, page):
    model = page.model
    kinds = {}
    for row in range(model.rowCount()):
        kinds.setdefault(model.standing_at(row), row)
    assert set(kinds) == {READY, SOON, NOT_YET}
    background = {kind: model.index(row, 1).data(Qt.ItemDataRole.BackgroundRole) for kind, row in kinds.items()}
    assert background[READY].color() == READY_BACKGROUND
    assert background[SOON].color() == SOON_BACKGROUND
    assert background[NOT_YET] is None

    # And on the screen: the pixels of a ready row are green.
    page.table.clearSelection()
    page.table.scrollTo(model.index(kinds[READY], 0))
    rect = page.table.visualRect(model.index(kinds[READY], 1))
    image = page.table.viewport().grab().toImage()
    assert image.pixelColor(rect.right() - 3, rect.center().y()) == READY_BACKGROUND


def test_date_class_and_level_recompute_in_the_background(qtbot, page, small_demo_db):
    later = TODAY + timedelta(days=45)
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.date_edit.setDate(later)
    rows = service_rows(small_demo_db, later)
    assert page.shown_summary().startswith(f"共 {len(rows)} 个学籍：可报考 {len([r for r in rows if r.ready])}，")

    with read_session(small_demo_db.engine) as session:
        first = classes.list_classes(session)[0]
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.class_combo.setCurrentIndex(page.class_combo.findData(first.id))
    assert column(page, "学籍号") == [r.student_number for r in service_rows(small_demo_db, later, class_id=first.id)]

    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.class_combo.setCurrentIndex(0)
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.level_combo.setCurrentIndex(page.level_combo.findText("初中"))
    assert set(column(page, "层次")) == {"初中"}
    assert page.model.rowCount() == len(service_rows(small_demo_db, later, level=Level.JUNIOR))


def test_double_click_opens_the_study_detail_with_every_session_and_video(qtbot, page, small_demo_db):
    model = page.model
    row = next(r for r in range(model.rowCount()) if model.row_at(r).class_hours > 0 and model.row_at(r).video_hours > 0)
    learner = model.row_at(row)
    page.table.scrollTo(model.index(row, 1))
    rect = page.table.visualRect(model.index(row, 1))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = page.dialog
    assert isinstance(dialog, StudyDetailDialog) and dialog.isVisible()
    assert dialog.windowTitle() == f"学习明细 — {learner.name}（{learner.student_number}）"

    with read_session(small_demo_db.engine) as session:
        detail = readiness.study_detail(session, learner.enrolment_id)
    sessions, videos = dialog.sessions_table, dialog.videos_table
    assert sessions.rowCount() == len(detail.sessions) and videos.rowCount() == len(detail.videos)
    assert dialog.tabs.tabText(0) == f"面授课次（{len(detail.sessions)}）"
    assert dialog.tabs.tabText(1) == f"课程视频（{len(detail.videos)}）"
    assert [sessions.item(r, 0).text() for r in range(sessions.rowCount())] == [s.held_on.isoformat() for s in detail.sessions]
    assert {sessions.item(r, 5).text() for r in range(sessions.rowCount())} <= {"出勤", "迟到", "早退", "缺勤", "请假"}
    assert [videos.item(r, 1).text() for r in range(videos.rowCount())] == [v.video for v in detail.videos]
    class_hours = sum(s.hours for s in detail.sessions)
    assert class_hours == pytest.approx(learner.class_hours)
    assert dialog.summary_label.text().startswith(f"面授：{len(detail.sessions)} 节课，计入 {class_hours:g} 课时；")


def test_what_is_missing_shows_at_1024_wide_and_in_full_for_the_selected_row(page, small_demo_db):
    page.resize(1024 - 130, 700)  # the page beside the navigation list of a 1024-wide window
    page.table.viewport().update()
    header = page.table.horizontalHeader()
    missing = HEADERS.index("还差")
    assert header.sectionViewportPosition(missing) + header.sectionSize(missing) <= page.table.viewport().width()
    assert header.sectionViewportPosition(HEADERS.index("可报考")) < header.sectionViewportPosition(missing)
    short = next(i for i, text in enumerate(column(page, "还差")) if text)
    page.table.selectRow(short)
    row = page.model.row_at(short)
    assert page.missing_label.text() == f"{row.name} 还差：" + "；".join(row.missing)


def test_the_summary_breaks_only_between_its_phrases(page):
    text = page.summary_label.text()
    assert text.count('white-space:nowrap') == 3 and "可报考" in text
    page.resize(420, 700)  # narrower than the summary: it wraps, each phrase whole
    assert page.shown_summary().startswith("共 ")


def test_the_name_column_sorts_by_pinyin(page, small_demo_db):
    from adultschool import pinyin

    page.model.sort(HEADERS.index("姓名"), Qt.SortOrder.AscendingOrder)
    names = column(page, "姓名")
    assert len(set(names)) > 3
    keys = [pinyin.person_name(name).sort_key for name in names]
    assert keys == sorted(keys)
    page.model.sort(HEADERS.index("姓名"), Qt.SortOrder.DescendingOrder)
    assert [pinyin.person_name(name).sort_key for name in column(page, "姓名")] == sorted(keys, reverse=True)
