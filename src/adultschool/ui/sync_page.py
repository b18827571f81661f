"""The 数据上报 page (the school side of the data exchange): this school's key fingerprint, the district's public key, the
packages made so far and what the district's receipts confirmed; 生成数据包 and 导入回执 run as background operations.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import aspkg, clock
from adultschool.db import read_session
from adultschool.services import district_inbox, sync
from adultschool.services.package_imports import counts_text, read_file
from adultschool.services.sync import ConfirmSummary, ExportInfo, ExportSummary
from adultschool.aspkg import Gaps
from adultschool.ui import changes, ops
from adultschool.ui.changes import Topic
from adultschool.ui.common import (
    ask_open_path,
    ask_save_path,
    Page,
    ask_to_confirm,
    HINT_COLOUR,
    WARNING_COLOUR,
    MessageLabel,
    actor,
    documents_folder,
    open_dialog,
    show_info,
    unused_path,
)
from adultschool.ui.widgets import fill_table, filled_item, fingerprint_label, read_only_table

PACKAGE_FILTER = "数据包 (*.aspkg)"
KEY_FILTER = "分中心公钥 (*.pub);;所有文件 (*)"
RECEIPT_FILTER = "回执 (*.json);;所有文件 (*)"
DISTRICT_PACKAGE_FILTER = "分中心数据包 (*.asdist);;所有文件 (*)"
PREVIEW_LINES = 30  # shown in the confirmation; the rest under 显示详细信息

HISTORY_HEADERS = ("序号", "生成时间", "类型", "行数", "文件", "分中心确认", "分中心回执")


def local_time(moment: datetime | str | None) -> str:
    """A stored UTC moment as the clerk's wall-clock time, 'YYYY-MM-DD HH:MM'."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment)
        except ValueError:
            return moment[:16].replace("T", " ")
        moment = parsed
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def sequences_text(numbers: Iterable[object]) -> str:  # a receipt's sequence numbers, as the JSON has them
    return "、".join(str(n) for n in numbers)


def merged_totals(confirmation: dict[str, Any]) -> dict[str, int]:
    """Inserted/updated/unchanged/held summed over the tables of one package entry in a receipt."""
    totals = {"inserted": 0, "updated": 0, "unchanged": 0, "held": 0}
    for table in (confirmation.get("counts") or {}).values():
        if isinstance(table, dict):
            for key in totals:
                value = table.get(key)
                totals[key] += value if isinstance(value, int) else 0
    return totals


def confirmation_text(confirmation: dict[str, Any] | None) -> str:
    if not confirmation:
        return ""
    totals = merged_totals(confirmation)
    text = (f"{local_time(confirmation.get('received_at'))} 收到：新增 {totals['inserted']}，更新 {totals['updated']}，"
            f"未变 {totals['unchanged']}")
    if totals["held"]:
        text += f"，待处理冲突暂缓 {totals['held']}"
    return text


conflict_line = sync.conflict_line  # one wording for the window and `sync confirm`


def confirm_district_key_change(parent: QWidget, change: sync.DistrictKeyChange, then: Callable[[], object]) -> QMessageBox:
    """Both fingerprints, and a button that replaces the registered district key only once the clerk has checked the
    new one by phone (an administrator: the service refuses anyone else)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "更换分中心公钥",
                      f"这个公钥文件与已登记的分中心公钥不同：\n\n已登记的指纹：{change.registered}\n"
                      f"这个文件的指纹：{change.offered}\n\n请先打电话与分中心核对新指纹。只有分中心确实更换了密钥，"
                      "才点“确认更换”；否则这个文件可能被人调包，本校的数据包会发给别人。",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.button(QMessageBox.StandardButton.Yes).setText("确认更换")
    box.button(QMessageBox.StandardButton.Cancel).setText("取消")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    yes = box.button(QMessageBox.StandardButton.Yes)
    box.buttonClicked.connect(lambda button: then() if button is yes else None)
    open_dialog(box)
    return box


def read_key_file(path: Path) -> tuple[bytes, aspkg.DistrictPublicKey]:
    """The bytes of a district.pub and the key they hold; a missing or wrong file is an AdultSchoolError."""
    data = read_file(path, "公钥文件")
    return data, aspkg.load_district_public(data)


def receipt_summary(body: dict[str, Any] | None) -> str:
    """What the district's last receipt said beyond the per-package confirmations: gaps and conflicts."""
    if not body:
        return "还没有导入过分中心的回执。分中心导入数据包后会发回执文件，点“导入回执…”即可知道哪些已收到。"
    arrived = [p.get("sequence") for p in body.get("packages", []) if isinstance(p, dict)]
    lines = [f"分中心最近一次回执（{local_time(body.get('made_at'))}）：已收到第 {sequences_text(arrived) or '—'} 号。"]
    missing = Gaps.from_json(body.get("gaps"))
    if missing:
        lines.append(f"分中心尚缺本校的数据包（{missing.text()}）：请重新发送那几个文件，或勾选“完整数据包”生成一个新的。")
    conflicts = [c for c in body.get("conflicts", []) if isinstance(c, dict)]
    if conflicts:
        lines.append(f"同一人在两所学校登记 {len(conflicts)} 人：")
        lines.extend("  " + conflict_line(c) for c in conflicts)
    return "\n".join(lines)


class SyncPage(Page):
    """`changed` after something was written; `status_message` for the window's status bar."""

    load_on_first_show = True
    topics = frozenset({Topic.SYNC, Topic.SETTINGS})  # the packages, the receipt, the keys (one registered in 设置)

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today,
                 folder: Path | None = None):
        super().__init__(engine, parent, today=today, folder=folder)
        self.op: ops.Op | None = None
        self.result_box: QWidget | None = None
        self.history: list[ExportInfo] = []
        self.has_district_key = False
        self.pending_full: str | None = None  # after a restore: why the next package is full
        self.dialog: QWidget | None = None

        # --- keys ----------------------------------------------------------------------------------------------
        self.fingerprint_label = fingerprint_label()
        self.fingerprint_hint = QLabel("分中心第一次收到本校数据包时，会打电话核对这个指纹；请照读给对方听。")
        self.fingerprint_hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.fingerprint_hint.setWordWrap(True)
        self.district_label = QLabel()
        self.district_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.district_label.setWordWrap(True)
        self.district_key_button = QPushButton("登记分中心公钥…")
        self.district_key_button.setToolTip("选择分中心发来的公钥文件 district.pub（只需登记一次）")
        self.district_key_button.clicked.connect(lambda: self.register_district_key())
        keys_box = QGroupBox("密钥")
        grid = QGridLayout(keys_box)
        grid.addWidget(QLabel("本校签名密钥指纹"), 0, 0)
        grid.addWidget(self.fingerprint_label, 0, 1)
        grid.addWidget(self.fingerprint_hint, 1, 1)
        grid.addWidget(QLabel("分中心公钥"), 2, 0)
        grid.addWidget(self.district_label, 2, 1)
        grid.addWidget(self.district_key_button, 2, 2)
        grid.setColumnStretch(1, 1)

        # --- the last package ----------------------------------------------------------------------------------
        self.last_label = QLabel()
        self.last_label.setWordWrap(True)
        self.last_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        last_box = QGroupBox("最近一次数据包")
        QVBoxLayout(last_box).addWidget(self.last_label)

        # --- every package and what the district confirmed -----------------------------------------------------
        self.history_table = read_only_table(HISTORY_HEADERS)
        self.receipt_label = QLabel()
        self.receipt_label.setWordWrap(True)
        self.receipt_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        history_box = QGroupBox("已生成的数据包")
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(self.history_table, 1)
        history_layout.addWidget(self.receipt_label)

        # --- actions -------------------------------------------------------------------------------------------
        self.full_check = QCheckBox("完整数据包")
        self.full_check.setToolTip("包含本校全部数据，而不只是上次以来的改动。分中心说缺少某号数据包、或换了电脑时用。")
        self.export_button = QPushButton("生成数据包…")
        self.export_button.setToolTip("把上次以来改动的数据加密、签名，存成一个文件，作为邮件附件发给分中心")
        self.export_button.clicked.connect(lambda: self.make_package())
        self.receipt_button = QPushButton("导入回执…")
        self.receipt_button.setToolTip("导入分中心发回的回执文件，查看哪些数据包分中心已经收到")
        self.receipt_button.clicked.connect(lambda: self.import_receipt())
        self.inbox_button = QPushButton("导入分中心数据包…")
        self.inbox_button.setToolTip("导入分中心发来的 .asdist 文件（任务数、规则、证书措辞、考试批次、成绩、回执）："
                                     "先显示会改动什么，确认后才导入")
        self.inbox_button.clicked.connect(lambda: self.import_district_package())
        self.message = MessageLabel()
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.full_check)
        actions.addWidget(self.export_button)
        actions.addWidget(self.receipt_button)
        actions.addWidget(self.inbox_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(keys_box)
        layout.addWidget(last_box)
        layout.addWidget(history_box, 1)
        layout.addWidget(self.message)
        layout.addLayout(actions)

    # --- showing -------------------------------------------------------------------------------------------


    def refresh(self) -> None:
        self.loaded = True
        with read_session(self._engine) as session:
            own = sync.own_fingerprint(session)
            district = sync.district_key(session)
            self.history = sync.export_history(session)
            receipt = sync.last_receipt(session)
            self.pending_full = sync.pending_full_package(session)
        self.fingerprint_label.setText(own or "（尚未生成：生成第一个数据包时自动生成）")
        self.has_district_key = district is not None
        if district is None:
            self.district_label.setText("还没有登记。请选择分中心发来的公钥文件 district.pub。")
            self.district_label.setStyleSheet(f"color: {WARNING_COLOUR};")
            self.district_key_button.setText("登记分中心公钥…")
        else:
            self.district_label.setText(f"分中心 {district.code}，指纹 {district.fingerprint}")
            self.district_label.setStyleSheet("")
            self.district_key_button.setText("更换分中心公钥…")
        self._show_last()
        self._show_history()
        self.receipt_label.setText(receipt_summary(receipt))
        self._enable()

    def _show_last(self) -> None:
        self.last_label.setStyleSheet(f"color: {WARNING_COLOUR};" if self.pending_full else "")
        if self.pending_full:
            self.last_label.setText(self.pending_full)
            return
        if not self.history:
            self.last_label.setText("还没有生成过数据包。第一个数据包包含本校全部数据。")
            return
        last = self.history[0]
        kind = "完整" if last.full else "增量"
        state = f"分中心已于 {local_time(last.confirmed_at)} 确认收到" if last.confirmed_at else "分中心尚未确认收到"
        self.last_label.setText(
            f"第 {last.sequence} 号（{kind}），{local_time(last.created_at)} 生成，文件 {last.file_name}；{state}。\n"
            f"共 {last.rows} 行：{counts_text(last.counts)}")

    def _show_history(self) -> None:
        rows = [[e.sequence, local_time(e.created_at), "完整" if e.full else "增量", e.rows, e.file_name,
                 local_time(e.confirmed_at) if e.confirmed_at else "未确认", confirmation_text(e.confirmation)]
                for e in self.history]
        fill_table(self.history_table, rows, right={0, 3})
        for row, export in enumerate(self.history):
            if export.confirmed_at is None:
                filled_item(self.history_table, row, 5).setForeground(QBrush(QColor(WARNING_COLOUR)))
            filled_item(self.history_table, row, 4).setToolTip(counts_text(export.counts))

    def _enable(self) -> None:
        idle = not self.busy
        self.district_key_button.setEnabled(idle)
        self.export_button.setEnabled(idle and self.has_district_key)
        self.export_button.setToolTip("把上次以来改动的数据加密、签名，存成一个文件，作为邮件附件发给分中心"
                                      if self.has_district_key else "请先登记分中心公钥")
        self.receipt_button.setEnabled(idle and self.has_district_key)
        self.inbox_button.setEnabled(idle and self.has_district_key)
        self.full_check.setEnabled(idle)

    def folder(self) -> Path:
        return self._folder or documents_folder()

    # --- file choices (tests replace these) ----------------------------------------------------------------

    def choose_district_key_file(self) -> Path | None:
        return ask_open_path(self, "选择分中心公钥文件", KEY_FILTER, default=self.folder())

    def choose_package_path(self, suggested: Path) -> Path | None:
        return ask_save_path(self, "保存数据包", suggested, PACKAGE_FILTER, ".aspkg")

    def choose_district_package(self) -> Path | None:
        return ask_open_path(self, "选择分中心发来的数据包", DISTRICT_PACKAGE_FILTER, default=self.folder())

    def choose_receipt_file(self) -> Path | None:
        return ask_open_path(self, "选择分中心的回执文件", RECEIPT_FILTER, default=self.folder())

    # --- actions -------------------------------------------------------------------------------------------

    def _failed(self, exc: BaseException, what: str) -> None:
        self.result_box = ops.show_failure(self, exc, line=self.message, cancelled=f"已取消{what}，没有改动。",
                                           box=f"{what}没有完成") or self.result_box

    def register_district_key(self, path: Path | None = None) -> ops.Op | None:
        if self.busy:
            return None
        path = path or self.choose_district_key_file()
        if path is None:
            return None
        return self._register_key(path, replace=False)

    def _register_key(self, path: Path, *, replace: bool) -> ops.Op:
        who = actor()

        def refused(exc: BaseException) -> None:
            if isinstance(exc, sync.DistrictKeyChange) and exc.allowed:
                self.dialog = confirm_district_key_change(self, exc, lambda: self._register_key(path, replace=True))
            else:
                self._failed(exc, "登记分中心公钥")

        return self._start(lambda: ops.run_write(
            self, self._engine,
            lambda session, _job: sync.set_district_key(session, read_file(path, "公钥文件"), actor=who,
                                                        replace=replace),
            label="正在登记分中心公钥……", title="登记分中心公钥", cancellable=False,
            on_success=self._key_registered, on_failure=refused))

    def _key_registered(self, key: sync.DistrictKeyRegistration) -> None:
        self.refresh()
        if key.changed:
            text = f"已更换分中心 {key.code} 的公钥：原指纹 {key.previous_fingerprint}，新指纹 {key.fingerprint}。"
        else:
            text = f"已登记分中心 {key.code} 的公钥，指纹 {key.fingerprint}。"
        self.status_message.emit(text)
        self.result_box = show_info(self, "登记分中心公钥",
                                    f"{text}\n\n请与分中心核对这个指纹（打电话或当面），一致才说明文件没有被调包。")

    def make_package(self, path: Path | None = None, *, full: bool | None = None) -> ops.Op | None:
        """Asks where to save (the suggested name says school, date and sequence), then makes the package."""
        if self.busy:
            return None
        if not self.has_district_key:
            self.message.show_message("请先登记分中心公钥（分中心发来的 district.pub 文件）。")
            return None
        if path is None:
            with read_session(self._engine) as session:
                suggested = sync.suggested_file_name(session, self._today())
            path = self.choose_package_path(unused_path(self.folder() / suggested))
            if path is None:
                return None
        whole = self.full_check.isChecked() if full is None else full
        target, who = Path(path), actor()
        return self._start(lambda: ops.run_write(
            self, self._engine,
            lambda session, job: sync.export_package(session, target, full=whole, actor=who, job=job),
            label="正在生成数据包……", title="生成数据包",
            on_success=self._package_made, on_failure=lambda exc: self._failed(exc, "生成数据包")))

    def _package_made(self, summary: ExportSummary) -> None:
        self.full_check.setChecked(False)
        self.refresh()
        self.changed.emit(changes.PACKAGE_MADE)
        kind = "完整" if summary.full else "增量"
        self.status_message.emit(f"已生成第 {summary.sequence} 号数据包（{kind}，{summary.rows} 行）：{summary.path}")
        self.result_box = show_info(
            self, "生成数据包",
            f"已生成第 {summary.sequence} 号数据包（{kind}）：\n{summary.path}\n\n"
            f"共 {summary.rows} 行：{counts_text(summary.counts)}\n\n"
            "请把这个文件作为邮件附件发给分中心。文件已加密，只有分中心能打开。")

    def import_receipt(self, path: Path | None = None) -> ops.Op | None:
        if self.busy:
            return None
        path = path or self.choose_receipt_file()
        if path is None:
            return None
        who = actor()
        return self._start(lambda: ops.run_write(
            self, self._engine,
            lambda session, _job: sync.confirm_receipt(session, read_file(path, "回执文件"), actor=who),
            label="正在核对回执……", title="导入回执", cancellable=False,
            on_success=self._receipt_imported, on_failure=lambda exc: self._failed(exc, "导入回执")))

    def _receipt_imported(self, result: ConfirmSummary) -> None:
        self.refresh()
        self.changed.emit(changes.RECEIPT_IMPORTED)
        lines = [f"分中心 {result.district} 的回执（{local_time(result.made_at)}）："]
        lines.append(f"本次新确认：第 {sequences_text(result.confirmed)} 号" if result.confirmed else "本次没有新确认的数据包")
        if result.unconfirmed:
            lines.append(f"尚未确认：第 {sequences_text(result.unconfirmed)} 号（分中心还没导入，或回执出得比数据包早）")
        else:
            lines.append("本校生成的数据包分中心都已收到。")
        if result.missing:
            lines.append(f"分中心尚缺本校的数据包（{result.missing.text()}）：请重新发送，或勾选“完整数据包”生成一个新的。")
        if result.conflicts:
            lines.append(f"同一人在两所学校登记 {len(result.conflicts)} 人：")
            lines.extend("  " + conflict_line(c) for c in result.conflicts)
        self.status_message.emit(f"已导入回执：确认 {len(result.confirmed)} 个，未确认 {len(result.unconfirmed)} 个")
        self.result_box = show_info(self, "导入回执", "\n".join(lines))

    # --- the district's package to this school -------------------------------------------------------------------

    def import_district_package(self, path: Path | None = None) -> ops.Op | None:
        """Previews the district's package in the worker (nothing written), then asks before applying it."""
        if self.busy:
            return None
        path = path or self.choose_district_package()
        if path is None:
            return None
        return self._run_district_package(Path(path), dry_run=True)

    def _run_district_package(self, path: Path, *, dry_run: bool) -> ops.Op:
        who, today = actor(), self._today()
        what = "预览分中心数据包" if dry_run else "导入分中心数据包"
        return self._start(lambda: ops.run_write(
            self, self._engine,
            lambda session, job: district_inbox.import_district_package(
                session, read_file(path, "分中心数据包"), file_name=path.name, actor=who, dry_run=dry_run, today=today,
                job=job),
            label=f"正在{what}……", title=what,
            on_success=lambda report: self._district_package_read(path, report),
            on_failure=lambda exc: self._failed(exc, what)))

    def _district_package_read(self, path: Path, report: district_inbox.DistrictPackageReport) -> None:
        lines = report.lines()
        if report.already:
            self.result_box = show_info(self, "导入分中心数据包", "\n".join(lines))
            return
        if report.dry_run:
            self.dialog = confirm_district_package(self, lines, lambda: self._run_district_package(path, dry_run=False))
            return
        self.refresh()
        self.changed.emit(changes.PACKAGE_MERGED)
        self.status_message.emit(f"已导入分中心第 {report.sequence} 号数据包：{report.changes} 处改动")
        self.result_box = show_info(self, "导入分中心数据包", "\n".join(lines))


def confirm_district_package(parent: QWidget, lines: list[str], then: Callable[[], object]) -> QMessageBox:
    """What the district's package would change, and 导入 to apply it (取消 is the default: nothing changes)."""
    shown = lines[:PREVIEW_LINES] + ([f"……另有 {len(lines) - PREVIEW_LINES} 行，见“显示详细信息”"]
                                     if len(lines) > PREVIEW_LINES else [])
    return ask_to_confirm(parent, "导入分中心数据包", "\n".join(shown), "导入", lambda: then(),
                          details="\n".join(lines) if len(lines) > PREVIEW_LINES else None)
