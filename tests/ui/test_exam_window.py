"""考试 and 证书 in the window: where they sit, their menus, and how a graduation reaches the 证书 page."""
from __future__ import annotations


import pytest
from PySide6.QtCore import Qt

from adultschool.ui.exam_dialogs import GraduationDialog, SkillCertificateDialog
from adultschool.ui.font_dialog import FontDialog
from adultschool.ui.main_window import MainWindow
from adultschool.ui.print_dialog import PrintDialog
from testclock import TODAY

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, school_db):
    win = MainWindow(school_db)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def menu(window: MainWindow, title: str) -> list[str]:
    found = next(a.menu() for a in window.menuBar().actions() if a.text() == title)
    return [a.text() for a in found.actions() if not a.isSeparator()]


def test_exams_and_certificates_follow_the_ready_list_with_their_menus(window):
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles[titles.index("可报考") + 1:] == ["考试", "证书", "证书查验", "数据上报"]
    assert menu(window, "考试(&E)") == ["考前申请", "导入成绩…", "毕业…", "登记职业技能证书…", "考试记录…",
                                      "导出学分银行成绩清单…", "导出户籍学历变更名单…"]
    assert menu(window, "打印(&P)") == ["打印证书…", "补发证书…", "打印表格"]
    assert [a.text() for a in window.forms_menu.actions()] == ["报名登记表…", "报名汇总表…", "签到表…"]
    assert menu(window, "设置(&O)") == ["设置…", "打印字体…", "账户管理…", "修改密码…", "审计记录…"]


def test_the_exam_actions_open_their_forms(window):
    window.graduate_action.trigger()
    assert isinstance(window.dialog, GraduationDialog) and window.exams_page.isVisible()
    window.dialog.reject()
    window.skill_action.trigger()
    assert isinstance(window.dialog, SkillCertificateDialog)
    window.dialog.reject()
    window.import_results_action.trigger()
    assert window.dialog.windowTitle() == "导入成绩"
    window.dialog.reject()
    window.font_action.trigger()
    assert isinstance(window.dialog, FontDialog)
    window.dialog.reject()
    window.print_summary_action.trigger()
    assert isinstance(window.dialog, PrintDialog) and window.dialog.windowTitle() == "打印报名汇总表"
    window.dialog.reject()


def test_registration_forms_are_for_the_learners_selected_on_the_learners_page(qtbot, window, ready_school):
    window.show_page("学员")
    window.learners_page.refresh()
    qtbot.waitUntil(lambda: window.learners_page.model.rowCount() == 3)
    window.learners_page.table.selectRow(1)
    window.print_registration_action.trigger()
    dialog = window.dialog
    assert dialog.windowTitle() == "打印报名登记表"
    assert dialog.student_numbers == (sorted(ready_school)[1],)
    assert [dialog.panel.scope_combo.itemText(i) for i in range(dialog.panel.scope_combo.count())] == ["学员页所选的 1 人", "全部在读学员"]
    dialog.reject()
    window.learners_page.table.clearSelection()
    window.print_registration_action.trigger()
    assert [window.dialog.panel.scope_combo.itemText(i) for i in range(window.dialog.panel.scope_combo.count())] == ["全部在读学员"]


def test_a_graduation_shows_on_the_certificates_page_unprinted(qtbot, window, school_db, ready_school, tmp_path,
                                                               wait_ops):
    from adultschool.db import unit_of_work
    from adultschool.services import exam_applications, exam_results
    from conftest import SENIOR_COURSES, write_results

    with unit_of_work(school_db.engine) as session:
        exam_applications.apply_for_exam(session, TODAY, round_name="测试批次", actor="test")
    number = sorted(ready_school)[0]
    write_results(tmp_path / "r.xlsx", [(number, ready_school[number], c, 90, TODAY.isoformat()) for c in SENIOR_COURSES])
    with unit_of_work(school_db.engine) as session:
        exam_results.import_results(session, tmp_path / "r.xlsx", actor="test")
    window.show_page("证书")
    assert window.certificates_page.rows == []
    assert window.certificates_page.empty_hint.isVisible()

    window.graduate_action.trigger()
    dialog = window.dialog
    wait_ops()
    qtbot.mouseClick(dialog.graduate_button, Qt.MouseButton.LeftButton)
    [yes] = [b for b in dialog.dialog.buttons() if b.text().startswith("办理")]
    yes.click()
    wait_ops()
    dialog.reject()
    window.show_page("证书")
    page = window.certificates_page
    assert [(r.student_number, r.prints) for r in page.rows] == [(number, 0)]
    assert page.table.item(0, 5).text() == "0"
    assert window.statusBar().currentMessage().startswith("已毕业 1 人")
