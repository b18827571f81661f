"""Starting the GUI: the QApplication (Chinese Qt texts, a CJK font, high DPI), the first-start dialog, the main window.

`adultschool-gui [--db PATH]` and `adultschool gui` both end in `run`. Unexpected exceptions get a report dialog.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Sequence

# The database layer, the models and the services the window starts with come before Qt: once PySide6 is imported it
# sees every later import (its __feature__ hook), which makes SQLAlchemy's few hundred modules load ~15 % slower.
from adultschool import paths, system
from adultschool.db import Database, DatabaseBusy, DatabaseDamaged, open_database
from adultschool.db.lock import DatabaseLock, network_warning
from adultschool.errors import AdultSchoolError
from adultschool.logs import set_up_logging
from adultschool.outfiles import clean_interrupted
from adultschool.services import maintenance
from adultschool import models  # noqa: F401 - see above
from adultschool.services import learners, readiness, site, study  # noqa: F401 - see above

from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTranslator  # after the database layer, see above
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from adultschool.ui import ops
from adultschool.ui.accounts_dialogs import sign_in
from adultschool.ui.backup_dialogs import offer_restore_of_damaged
from adultschool.ui.common import set_signed_in, show_bug_report, show_error, signed_in
from adultschool.ui.main_window import APP_TITLE, MainWindow
from adultschool.ui.first_run.wizard import FirstRunWizard, is_initialised

log = logging.getLogger(__name__)

# Preferred CJK families, best first: Windows, macOS, then the usual Linux ones. Qt falls back per character
# beyond these, so rare name characters (堃 喆 赟) still find a glyph where any installed font has one.
CJK_FAMILIES = (
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "LXGW WenKai",
    "SimSun",
)
MIN_POINT_SIZE = 10.0  # Chinese at 9 pt is hard to read on an old office monitor

_translators: list[QTranslator] = []


def install_chinese_translations(app: QApplication) -> bool:
    """Qt's own qtbase_zh_CN, so standard buttons and dialogs say 确定/取消/打开; True when it was found."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    if _translators:
        return True
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_", folder):
        app.installTranslator(translator)
        _translators.append(translator)
        return True
    log.warning("qtbase_zh_CN translation not found in %s", folder)
    return False


SHIPPED_FONT = "LXGW WenKai"  # resources/fonts: covers the rare name characters (𬌗 喆 赟) the PDFs print
SHIPPED_FONT_FILE = "LXGWWenKai-Regular.ttf"


def load_shipped_font() -> str | None:
    """Loads the font the program ships into this application (about 10 ms); its family, None if the file is missing
    or unreadable (the window then relies on the PC's fonts)."""
    path = paths.resources_dir() / "fonts" / SHIPPED_FONT_FILE
    if not path.is_file():
        log.warning("shipped font %s not found", path)
        return None
    font_id = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        log.warning("shipped font %s could not be loaded", path)
        return None
    return families[0]


def set_cjk_font(app: QApplication) -> QFont:
    """The PC's own Chinese UI font first (it reads best on that screen), then the shipped font for every character
    the first lacks, so a name shows on screen exactly as the PDF prints it; then the rest of CJK_FAMILIES."""
    font = app.font()
    shipped = load_shipped_font()
    available = set(QFontDatabase.families())
    chosen = [family for family in CJK_FAMILIES if family in available]
    if shipped:
        chosen = [family for family in chosen if family != shipped]
        chosen.insert(1 if chosen else 0, shipped)
    if chosen:
        font.setFamilies(chosen + [font.family()])
    if 0 < font.pointSizeF() < MIN_POINT_SIZE:
        font.setPointSizeF(MIN_POINT_SIZE)
    app.setFont(font)
    return font


def prepare_application(app: QApplication) -> QApplication:
    """Everything the app needs besides its windows; tests call it on pytest-qt's QApplication too."""
    app.setApplicationName("adultschool")
    app.setOrganizationName("adultschool")
    install_chinese_translations(app)
    set_cjk_font(app)
    ops.collect_garbage_on_ui_thread(app)
    return app


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if existing is not None:
        return prepare_application(existing)  # type: ignore[arg-type]
    # Qt 6 scales by the screen's exact factor (125 %, 150 % on office laptops) instead of rounding it.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    return prepare_application(app)


def install_excepthook() -> None:
    """A bug never closes the program silently: it is logged and shown with a report the clerk can copy."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        try:
            show_bug_report(QApplication.activeWindow(), exc)
        except Exception:  # the report itself failed; the log still has it
            log.exception("could not show the bug report")
            sys.__excepthook__(kind, exc, tb)

    sys.excepthook = hook


def ask_retry_busy(busy: DatabaseBusy) -> bool:
    """Another program holds the database: say so (it is not damaged) and offer to try again."""
    box = QMessageBox(QMessageBox.Icon.Warning, "数据库正被占用", str(busy),
                      QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Retry).setText("重试")
    box.button(QMessageBox.StandardButton.Cancel).setText("退出")
    return box.exec() == QMessageBox.StandardButton.Retry


def open_while_busy(db: str | None, ask: Callable[[DatabaseBusy], bool] = ask_retry_busy) -> Database:
    """open_database, asking to retry for as long as another program holds the file (each try waits a while first)."""
    while True:
        try:
            return open_database(db)
        except DatabaseBusy as busy:
            if not ask(busy):
                raise


def open_or_welcome(db: str | None) -> Database | None:
    """The database to work on: the existing file, or what the first-start dialog made; None means 退出."""
    path = paths.sqlite_path(paths.database_url(db))
    database = open_while_busy(db) if path is None or path.exists() else None
    if database is not None and is_initialised(database):
        return database
    welcome = FirstRunWizard(db, database)
    if welcome.exec() != QDialog.DialogCode.Accepted:
        if welcome.database is not None:
            welcome.database.close()
        return None
    return welcome.database


def lock_database(path: Path | None, held: DatabaseLock | None = None) -> DatabaseLock | None:
    """One window per database file (db/lock.py): keeps `held` when it is this file's lock, else takes this file's."""
    if held is not None and (path is None or held.db_path != path):
        held.release()
        held = None
    if path is None or held is not None:
        return held
    return DatabaseLock.acquire(path, program="adultschool gui")


def back_up_on_exit(database: Database) -> None:
    """The automatic rotated copy after a clean exit; a failure is logged, never keeps the program from closing."""
    try:
        maintenance.back_up_on_exit(database.path)
    except Exception:  # the data is safe in the database itself; the log tells support
        log.exception("exit backup of %s failed", database.describe())


def log_window_shown(window: MainWindow) -> None:
    """When the window appeared, counted from the process's start, and what its learner list shows (for support)."""
    age = system.seconds_since_start()
    log.info("window shown %s after the program started: %s; 学员：%s", "?" if age is None else f"{age:.2f} s",
             window.windowTitle(), window.learners_page.count_label.text())


def warn_about_network_drive(window: MainWindow, database: Database) -> None:
    warning = network_warning(database.path) if database.path is not None else None
    if warning:
        show_error(window, "数据库在网络驱动器上", warning)


def run(db: str | None = None) -> int:
    set_up_logging()
    clean_interrupted()  # .part files a killed run left behind (they may hold full ID numbers)
    app = create_application()
    install_excepthook()
    target: str | None = db
    while True:  # 文件 → 新建数据库… / 打开数据库… close the window and come round again with the chosen file
        code, target = _run_one(app, target)
        if target is None:
            return code
        set_signed_in(None)  # the next database has its own accounts: its login is asked for again


def _run_one(app: Any, db: str | None) -> tuple[int, str | None]:
    """One database from opening to closing: (exit code, the database the clerk chose next or None)."""
    database: Database | None = None
    database_lock: DatabaseLock | None = None
    clean_exit = False
    try:
        try:
            database_lock = lock_database(paths.sqlite_path(paths.database_url(db)))
            try:
                database = open_or_welcome(db)
            except DatabaseDamaged as damaged:
                if not offer_restore_of_damaged(damaged):
                    return 2, None
                database = open_or_welcome(db)
            if database is None:
                return 0, None
            # The first-start dialog may have opened another file than --db named.
            database_lock = lock_database(database.path, database_lock)
        except AdultSchoolError as exc:
            QMessageBox.critical(None, "无法打开数据库", str(exc))
            return 2, None
        # The login dialog, once the database has accounts (退出 ends here); not right after the first-run wizard made
        # the administrator, whose password was just typed twice.
        if signed_in().single_user and not sign_in(database):
            return 0, None
        log.info("GUI started on %s (%s)", database.describe(), system.os_description())
        window = MainWindow(database)
        window.show_home()  # the day's work first
        window.show()
        log_window_shown(window)
        warn_about_network_drive(window, database)
        code = app.exec()
        clean_exit = True
        following = getattr(window, "next_database", None)
        return code, (str(following) if following is not None else None)
    finally:
        ops.wait_for_workers()
        if database is not None:
            database.close()
            if clean_exit:
                back_up_on_exit(database)
        if database_lock is not None:
            database_lock.release()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="adultschool-gui", description=APP_TITLE)
    parser.add_argument("--db", default=None, help="数据库文件路径或 URL（默认：用户数据目录里的 adultschool.sqlite3）")
    args, _qt_args = parser.parse_known_args(argv)
    return run(args.db)


if __name__ == "__main__":
    raise SystemExit(main())
