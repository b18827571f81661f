"""The district office's 数据包汇总 page: import the schools' packages, see who has sent what, make receipts and
the packages for the schools, register and retire schools, accept their keys, make the district's key pair.

The district key's passphrase is asked once per window session; only the opened key pair is kept, in memory, on the
page. Each package is imported in its own transaction in the worker thread: a rejected one writes nothing and the
others still go in.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool import aspkg
from adultschool.db import read_session, unit_of_work
from adultschool.jobs import JobContext
from adultschool.services import district_keypair, district_outbox, district_schools, district_status, site
from adultschool.services.district_keypair import KeygenResult
from adultschool.services.district_status import SchoolStatus
from adultschool.services.district_schools import RosterSchool
from adultschool.services.package_imports import PackageOutcome, import_packages, outcome_lines
from adultschool.ui import changes, ops
from adultschool.ui.changes import Topic
from adultschool.ui.district_dialogs import AddSchoolDialog, RetireSchoolDialog, TrustDialog
from adultschool.ui.common import (
    ask_open_paths,
    ask_save_path,
    ask_folder,
    Page,
    ERROR_COLOUR,
    WARNING_COLOUR,
    MessageLabel,
    actor,
    documents_folder,
    open_dialog,
    show_info,
    unused_path,
)
from adultschool.ui.passphrase_dialog import PassphraseDialog
from adultschool.ui.sync_page import PACKAGE_FILTER, local_time, sequences_text
from adultschool.ui.widgets import fill_table, filled_item, read_only_table


SCHOOL_HEADERS = ("学校代码", "学校", "密钥指纹", "名册", "数据包数", "最近序号", "最近收到", "本月已报送", "缺少的序号",
                  "待处理冲突", "发给学校的数据包")

SENT_COLOUR = QColor("#d9f2e3")
NOT_SENT_COLOUR = QColor("#f9d6d2")


def receipt_file_name(school_code: str, day: date) -> str:
    return f"回执-{school_code}-{day.isoformat()}.json"


def open_keys(engine: Engine, passphrase: str) -> aspkg.DistrictKeyPair:
    """The district's key pair (scrypt: a second or so, so this runs in the worker)."""
    with read_session(engine) as session:
        return district_keypair.district_keys(session, passphrase)


class DistrictPackagesPage(Page):
    """数据包汇总. `changed` after packages were merged or keys made; `status_message` for the status bar."""

    load_on_first_show = True
    topics = frozenset({Topic.SYNC, Topic.SETTINGS})  # the keys, the schools with their packages and open conflicts

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today,
                 folder: Path | None = None):
        super().__init__(engine, parent, today=today, folder=folder)
        self.keys: aspkg.DistrictKeyPair | None = None  # opened once per window session, never stored
        self.op: ops.Op | None = None
        self.dialog: QWidget | None = None
        self.result_box: QWidget | None = None
        self.statuses: list[SchoolStatus] = []
        self.outcomes: list[PackageOutcome] = []
        self._pending_trust: list[PackageOutcome] = []
        self.has_keys = False

        self.key_label = QLabel()
        self.key_label.setWordWrap(True)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.keygen_button = QPushButton("生成密钥…")
        self.keygen_button.setToolTip("生成分中心的密钥：公钥 district.pub 发给各学校，私钥用口令保护")
        self.keygen_button.clicked.connect(lambda: self.make_keys())
        self.import_button = QPushButton("导入数据包…")
        self.import_button.setToolTip("选择学校发来的一个或多个 .aspkg 文件；每个数据包单独导入，有问题的不会影响其他")
        self.import_button.clicked.connect(lambda: self.import_files())
        top = QHBoxLayout()
        top.addWidget(self.key_label, 1)
        top.addWidget(self.keygen_button)
        top.addWidget(self.import_button)

        self.results = QListWidget()
        self.results.setWordWrap(True)
        self.results.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        results_box = QGroupBox("本次导入结果")
        QVBoxLayout(results_box).addWidget(self.results)
        results_box.setVisible(False)
        self.results_box = results_box

        self.schools_title = QGroupBox("学校名册与报送情况")
        self.schools_table = read_only_table(SCHOOL_HEADERS)
        self.schools_table.itemSelectionChanged.connect(self._enable)
        self.receipt_button = QPushButton("生成回执…")
        self.receipt_button.setToolTip("为所选学校生成签名回执（已收到哪些数据包、缺哪些、冲突），发回给学校")
        self.receipt_button.clicked.connect(lambda: self.make_receipt())
        self.outbox_button = QPushButton("生成给学校的数据包…")
        self.outbox_button.setToolTip("为名册上每所学校生成分中心数据包（任务数、规则、证书措辞、考试批次、成绩、回执），"
                                      "存到所选文件夹，分别发给各学校")
        self.outbox_button.clicked.connect(lambda: self.make_school_packages())
        self.add_school_button = QPushButton("添加学校…")
        self.add_school_button.setToolTip("把本区的学校登记到名册：只有名册上的学校发来的数据包才会导入")
        self.add_school_button.clicked.connect(lambda: self.open_add_school())
        self.retire_button = QPushButton("停用学校…")
        self.retire_button.setToolTip("不再接收所选学校的数据包（已收到的数据保留）")
        self.retire_button.clicked.connect(lambda: self.open_retire())
        self.message = MessageLabel()
        schools_layout = QVBoxLayout(self.schools_title)
        schools_layout.addWidget(self.schools_table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addStretch(0)
        for button in (self.add_school_button, self.retire_button, self.receipt_button, self.outbox_button):
            bottom.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)
        schools_layout.addLayout(bottom)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(results_box)
        splitter.addWidget(self.schools_title)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    # --- showing -------------------------------------------------------------------------------------------


    def refresh(self) -> None:
        self.loaded = True
        month = self._today()
        with read_session(self._engine) as session:
            public = district_keypair.district_public(session)
            self.statuses = district_status.school_statuses(session, month)
        self.has_keys = public is not None
        if public is None:
            self.key_label.setText("本分中心还没有密钥。请先点“生成密钥…”，再把公钥文件 district.pub 发给各学校。")
            self.key_label.setStyleSheet(f"color: {WARNING_COLOUR};")
        else:
            opened = "（本次已输入口令）" if self.keys is not None else ""
            self.key_label.setText(f"分中心 {public.code} 公钥指纹：{public.fingerprint}{opened}")
            self.key_label.setStyleSheet("")
        self.keygen_button.setVisible(public is None)
        self.schools_title.setTitle(f"学校名册与报送情况（{month.year}年{month.month}月）")
        self._show_statuses()
        self._enable()

    def _show_statuses(self) -> None:
        selected = self.selected_school()
        rows = [[s.code, s.name, s.fingerprint or "", s.key_state, s.packages, s.last_sequence or "",
                 local_time(s.last_received_at) if s.last_received_at else "从未收到",
                 "是" if s.sent_this_month else "否", s.missing.numbers_text(), s.open_conflicts or "",
                 f"第 {s.district_sequence} 号，{local_time(s.last_sent_at)}" if s.last_sent_at else "从未"]
                for s in self.statuses]
        column = SCHOOL_HEADERS.index
        fill_table(self.schools_table, rows, right={column("数据包数"), column("最近序号"), column("待处理冲突")})
        bold = QFont(self.schools_table.font())
        bold.setBold(True)
        for row, status in enumerate(self.statuses):
            sent = filled_item(self.schools_table, row, column("本月已报送"))
            sent.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            sent.setBackground(QBrush(SENT_COLOUR if status.sent_this_month else NOT_SENT_COLOUR))
            if not status.sent_this_month:
                sent.setFont(bold)
            for name, bad in (("缺少的序号", bool(status.missing)), ("待处理冲突", bool(status.open_conflicts)),
                              ("名册", status.key_state != "已确认")):
                if bad:
                    filled_item(self.schools_table, row, column(name)).setForeground(QBrush(QColor(ERROR_COLOUR)))
            filled_item(self.schools_table, row, column("缺少的序号")).setToolTip(status.missing.text())
            if status.code == selected:
                self.schools_table.selectRow(row)

    def selected_school(self) -> str | None:
        rows = self.schools_table.selectionModel().selectedRows() if self.schools_table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.statuses):
            return None
        return self.statuses[rows[0].row()].code

    def select_school(self, code: str) -> None:
        for row, status in enumerate(self.statuses):
            if status.code == code:
                self.schools_table.selectRow(row)
                return
        raise KeyError(code)

    def _enable(self) -> None:
        idle, keys = not self.busy, self.has_keys
        self.keygen_button.setEnabled(idle)
        self.import_button.setEnabled(idle and keys)
        code = self.selected_school()
        status = next((s for s in self.statuses if s.code == code), None)
        self.receipt_button.setEnabled(idle and keys and status is not None and status.listed)
        self.outbox_button.setEnabled(idle and keys and any(s.listed and not s.retired for s in self.statuses))
        self.add_school_button.setEnabled(idle)
        self.retire_button.setEnabled(idle and status is not None and status.listed and not status.retired)

    def folder(self) -> Path:
        return self._folder or documents_folder()

    # --- choices (tests replace these) ---------------------------------------------------------------------

    def choose_package_files(self) -> list[Path]:
        return ask_open_paths(self, "选择学校发来的数据包", PACKAGE_FILTER, default=self.folder())

    def choose_receipt_path(self, suggested: Path) -> Path | None:
        return ask_save_path(self, "保存回执", suggested, "回执 (*.json)", ".json")

    def choose_key_folder(self) -> Path | None:
        return ask_folder(self, "密钥文件保存到哪个文件夹", default=self.folder())

    def ask_passphrase(self, then: Callable[[str], object], *, new_key: bool = False) -> PassphraseDialog:
        dialog = PassphraseDialog(self, new_key=new_key)
        dialog.entered.connect(then)
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    # --- with the key pair ---------------------------------------------------------------------------------

    def _with_keys(self, then: Callable[[str | None], object]) -> None:
        """Calls `then(None)` when the key pair is open already, else `then(passphrase)` once the clerk typed it (what
        it returns, often the operation it started, is not used)."""
        if self.keys is not None:
            then(None)
        else:
            self.ask_passphrase(then)

    def _keys_for(self, passphrase: str | None) -> aspkg.DistrictKeyPair:
        """In the worker: the open pair, or the pair opened with the passphrase just typed."""
        keys = self.keys
        return keys if keys is not None else open_keys(self._engine, passphrase or "")

    def _failed(self, exc: BaseException, what: str) -> None:
        self.result_box = ops.show_failure(self, exc, line=self.message, cancelled=f"已取消{what}。",
                                           box=f"{what}没有完成") or self.result_box

    def import_files(self, paths: list[Path] | None = None) -> None:
        """Asks for the files (several at once) and, the first time, the passphrase; then imports in the worker."""
        if self.busy:
            return
        chosen = list(paths) if paths is not None else self.choose_package_files()
        if not chosen:
            return
        self._with_keys(lambda passphrase: self._start_import(chosen, passphrase))

    def _start_import(self, paths: list[Path], passphrase: str | None) -> ops.Op:
        who = actor()

        def work(job: JobContext) -> tuple[aspkg.DistrictKeyPair, list[PackageOutcome]]:
            keys = self._keys_for(passphrase)
            return keys, import_packages(self._engine, paths, keys, who=who, job=job)

        return self._start(lambda: ops.run_op(
            self, work, label="正在导入数据包……", title="导入数据包",
            on_success=self._imported, on_failure=lambda exc: self._failed(exc, "导入数据包")))

    def _imported(self, result: tuple[aspkg.DistrictKeyPair, list[PackageOutcome]]) -> None:
        self.keys, self.outcomes = result
        self.results.clear()
        colours = {"ok": None, "warning": QColor(WARNING_COLOUR), "error": QColor(ERROR_COLOUR)}
        for outcome in self.outcomes:
            for kind, text in outcome_lines(outcome):
                item = QListWidgetItem(text)
                if colours[kind] is not None:
                    item.setForeground(QBrush(colours[kind]))
                self.results.addItem(item)
        self.results_box.setTitle("本次导入结果")
        self.results_box.setVisible(True)
        imported = sum(o.report is not None for o in self.outcomes)
        rejected = len(self.outcomes) - imported
        self.refresh()
        if imported:
            self.changed.emit(changes.PACKAGE_MERGED)
        text = f"导入数据包：成功 {imported} 个" + (f"，未导入 {rejected} 个（原因见“本次导入结果”）" if rejected else "")
        self.message.show_message(text, "error" if rejected else "hint")
        self.status_message.emit(text)
        self._pending_trust = [o for o in self.outcomes if o.key_to_accept is not None]
        self._next_trust()

    # --- the roster -----------------------------------------------------------------------------------------------

    def _next_trust(self) -> None:
        """One confirmation at a time for the packages refused for a key the district has not accepted."""
        if not self._pending_trust:
            return
        outcome = self._pending_trust.pop(0)
        assert outcome.key_to_accept is not None  # _pending_trust holds only the packages refused for their key
        dialog = TrustDialog(outcome.key_to_accept, outcome.path.name, self)
        dialog.accept_requested.connect(lambda code, fingerprint: self.accept_key(code, fingerprint, outcome.path))
        dialog.rejected.connect(self._next_trust)
        self.dialog = dialog
        open_dialog(dialog)

    def accept_key(self, code: str, fingerprint: str, package: Path | None = None) -> ops.Op:
        """The clerk compared the fingerprint on the phone: accept it, then import the package it came with."""
        who = actor()
        return self._start(lambda: ops.run_write(
            self, self._engine,
            lambda session, _job: district_schools.accept_fingerprint(session, code, fingerprint, actor=who),
            label="正在确认密钥……", title="确认密钥", cancellable=False,
            on_success=lambda school: self._key_accepted(school, package),
            on_failure=lambda exc: self._failed(exc, "确认密钥")))

    def _key_accepted(self, school: RosterSchool, package: Path | None) -> None:
        self.refresh()
        self.status_message.emit(f"已确认学校 {school.code} 的签名密钥 {school.fingerprint}")
        if package is not None:
            self.import_files([package] + [o.path for o in self._pending_trust])
            self._pending_trust = []
        else:
            self._next_trust()

    def open_add_school(self) -> AddSchoolDialog:
        with read_session(self._engine) as session:
            code = site.require_district(session).code
        dialog = AddSchoolDialog(code, self)
        dialog.add_requested.connect(self.add_school)
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def add_school(self, code: str, name: str, townships: list, fingerprint: str) -> ops.Op:
        who = actor()
        return self._start(lambda: ops.run_write(
            self, self._engine,
            lambda session, _job: district_schools.add_school(session, code, name=name, townships=townships,
                                                              fingerprint=fingerprint or None, actor=who),
            label="正在添加学校……", title="添加学校", cancellable=False,
            on_success=self._school_added, on_failure=lambda exc: self._failed(exc, "添加学校")))

    def _school_added(self, school: RosterSchool) -> None:
        self.refresh()
        self.select_school(school.code)
        self.changed.emit(changes.DISTRICT_SCHOOLS)
        key = (f"密钥指纹 {school.fingerprint}：以这个密钥签名的数据包将直接导入。" if school.fingerprint else
               "它的第一个数据包会显示密钥指纹，电话核对后才导入。")
        text = f"已把{school.name}（{school.code}）登记到名册，{key}"
        self.message.show_message(text, "hint")
        self.status_message.emit(text)

    def open_retire(self) -> RetireSchoolDialog | None:
        code = self.selected_school()
        with read_session(self._engine) as session:
            school = district_schools.get_school(session, code) if code else None
        if school is None or not school.active:
            self.message.show_message("请先在表里选一所名册上的学校。")
            return None
        dialog = RetireSchoolDialog(school, self)
        dialog.retire_requested.connect(lambda reason: self.retire_school(school.code, reason))
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def retire_school(self, code: str, reason: str) -> ops.Op:
        who = actor()
        return self._start(lambda: ops.run_write(
            self, self._engine,
            lambda session, _job: district_schools.retire_school(session, code, reason=reason or None, actor=who),
            label="正在停用学校……", title="停用学校", cancellable=False,
            on_success=self._school_retired, on_failure=lambda exc: self._failed(exc, "停用学校")))

    def _school_retired(self, school: RosterSchool) -> None:
        self.refresh()
        self.changed.emit(changes.DISTRICT_SCHOOLS)
        text = f"已停用{school.name}（{school.code}）：不再接收它的数据包。"
        self.message.show_message(text, "hint")
        self.status_message.emit(text)

    def result_lines(self) -> list[str]:
        return [self.results.item(i).text() for i in range(self.results.count())]

    def make_receipt(self, path: Path | None = None) -> None:
        if self.busy:
            return
        code = self.selected_school()
        if code is None:
            self.message.show_message("请先在表里选一所学校。")
            return
        if path is None:
            path = self.choose_receipt_path(unused_path(self.folder() / receipt_file_name(code, self._today())))
            if path is None:
                return
        target = Path(path)
        self._with_keys(lambda passphrase: self._start_receipt(code, target, passphrase))

    def _start_receipt(self, code: str, path: Path, passphrase: str | None) -> ops.Op:
        def work(session, _job):  # noqa: ANN001, ANN202
            keys = self._keys_for(passphrase)
            return keys, district_status.save_receipt(session, code, keys, path)

        return self._start(lambda: ops.run_read(
            self, self._engine, work, label="正在生成回执……", title="生成回执", cancellable=False,
            on_success=lambda result: self._receipt_made(path, *result),
            on_failure=lambda exc: self._failed(exc, "生成回执")))

    def _receipt_made(self, path: Path, keys: aspkg.DistrictKeyPair, body: dict) -> None:
        self.keys = keys
        self.refresh()
        sequences = [p["sequence"] for p in body.get("packages", [])]
        lines = [f"已为学校 {body.get('school_name', '')}（{body.get('school_code', '')}）生成回执：", str(path), "",
                 f"已收到第 {sequences_text(sequences)} 号数据包。"]
        gaps = aspkg.Gaps.from_json(body.get("gaps"))
        if gaps:
            lines.append(f"{gaps.text()}。")
        if body.get("conflicts"):
            lines.append(f"冲突 {len(body['conflicts'])} 个。")
        lines += ["", "请把这个文件发给学校：学校在“数据上报”页点“导入回执…”即可看到分中心已确认的内容。"]
        self.status_message.emit(f"已生成回执：{path}")
        self.result_box = show_info(self, "生成回执", "\n".join(lines))

    def choose_outbox_folder(self) -> Path | None:
        return ask_folder(self, "分中心数据包保存到哪个文件夹", default=self.folder())

    def make_school_packages(self, folder: Path | None = None) -> None:
        """A district package for every school on the roster that can have one, into one folder (in the worker)."""
        if self.busy:
            return
        target = folder if folder is not None else self.choose_outbox_folder()
        if target is None:
            return
        self._with_keys(lambda passphrase: self._start_outbox(Path(target), passphrase))

    def _start_outbox(self, folder: Path, passphrase: str | None) -> ops.Op:
        who = actor()

        def work(session, job):  # noqa: ANN001, ANN202
            keys = self._keys_for(passphrase)
            return keys, district_outbox.export_for_all(session, folder, keys=keys, actor=who, job=job)

        return self._start(lambda: ops.run_write(
            self, self._engine, work, label="正在生成给学校的数据包……", title="生成给学校的数据包",
            on_success=lambda result: self._outbox_made(folder, *result),
            on_failure=lambda exc: self._failed(exc, "生成给学校的数据包")))

    def _outbox_made(self, folder: Path, keys: aspkg.DistrictKeyPair,
                     result: district_outbox.DistrictExportAll) -> None:
        self.keys = keys
        self.refresh()
        self.results.clear()
        for summary in result.made:
            self.results.addItem(QListWidgetItem(summary.line()))
        for line in result.skipped:
            item = QListWidgetItem(f"未生成：{line}")
            item.setForeground(QBrush(QColor(WARNING_COLOUR)))
            self.results.addItem(item)
        self.results_box.setTitle("本次生成的数据包")
        self.results_box.setVisible(True)
        text = f"已生成给学校的数据包 {len(result.made)} 个，存在 {folder}" + (
            f"；{len(result.skipped)} 所学校暂不能生成（原因见上面的列表）" if result.skipped else "")
        self.message.show_message(text, "error" if result.skipped and not result.made else "hint")
        self.status_message.emit(text)

    def make_keys(self, folder: Path | None = None) -> None:
        if self.busy:
            return
        folder = folder or self.choose_key_folder()
        if folder is None:
            return
        target = Path(folder)
        self.ask_passphrase(lambda passphrase: self._start_keygen(target, passphrase), new_key=True)

    def _start_keygen(self, folder: Path, passphrase: str) -> ops.Op:
        who = actor()

        def work(job: JobContext) -> tuple[KeygenResult, aspkg.DistrictKeyPair]:
            with unit_of_work(self._engine) as session:
                result = district_keypair.keygen(session, folder, passphrase, actor=who)
            return result, open_keys(self._engine, passphrase)

        return self._start(lambda: ops.run_op(
            self, work, label="正在生成分中心密钥……", title="生成密钥", cancellable=False,
            on_success=lambda result: self._keys_made(*result), on_failure=lambda exc: self._failed(exc, "生成密钥")))

    def _keys_made(self, result: KeygenResult, keys: aspkg.DistrictKeyPair) -> None:
        self.keys = keys
        self.refresh()
        self.changed.emit(changes.DISTRICT_SCHOOLS)
        self.status_message.emit(f"已生成分中心密钥，指纹 {result.fingerprint}")
        self.result_box = show_info(
            self, "生成密钥",
            f"已生成分中心密钥，指纹 {result.fingerprint}。\n\n公钥（发给各学校）：\n{result.public_path}\n\n"
            f"私钥（口令保护，请另存一份到安全的地方，如 U 盘）：\n{result.private_path}\n\n"
            "学校登记公钥后，请在电话里与学校核对这个指纹。")
