"""Each file dialog opens in the folder last used in it, on this PC (the townships' rosters, the USB stick)."""
from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QFileDialog

from adultschool import paths
from adultschool.ui import backup_dialogs
from adultschool.ui.common import ask_folder, ask_save_path

pytestmark = pytest.mark.gui


class FakeDialog:
    """Stands in for the system's dialog: records the folder it was opened in and answers with `answer`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.opened_in: list[str] = []
        self.answer = ""
        monkeypatch.setattr(QFileDialog, "getOpenFileName", self._file)
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self._file)
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", self._folder)

    def _file(self, _parent, _title, start, _filter=""):
        self.opened_in.append(start)
        return self.answer, ""

    def _folder(self, _parent, _title, start):
        self.opened_in.append(start)
        return self.answer


def test_the_backup_file_dialog_reopens_where_the_last_backup_was_chosen(qapp, monkeypatch, tmp_path):
    fake = FakeDialog(monkeypatch)
    usb = tmp_path / "U盘" / "备份"
    usb.mkdir(parents=True)
    fake.answer = str(usb / "本校-2026-11-30.asbackup")
    assert backup_dialogs.choose_backup_file(None) == usb / "本校-2026-11-30.asbackup"
    assert fake.opened_in[0] == str(paths.backup_dir())  # the first time: the program's backup folder

    fake.answer = ""  # 取消 the second time: nothing chosen, nothing forgotten
    assert backup_dialogs.choose_backup_file(None) is None
    assert fake.opened_in[1] == str(usb)
    assert json.loads(paths.local_settings_file().read_text(encoding="utf-8"))["last_folders"]["选择备份文件"] == str(usb)


def test_a_save_dialog_keeps_the_suggested_name_in_the_remembered_folder(qapp, monkeypatch, tmp_path):
    fake = FakeDialog(monkeypatch)
    chosen_folder = tmp_path / "报表"
    chosen_folder.mkdir()
    fake.answer = str(chosen_folder / "名单")  # typed without .xlsx
    assert ask_save_path(None, "导出名单", tmp_path / "名单-1.xlsx", "Excel (*.xlsx)", ".xlsx") == chosen_folder / "名单.xlsx"
    ask_save_path(None, "导出名单", tmp_path / "名单-2.xlsx", "Excel (*.xlsx)", ".xlsx")
    assert fake.opened_in == [str(tmp_path / "名单-1.xlsx"), str(chosen_folder / "名单-2.xlsx")]
    # another dialog has its own memory
    ask_save_path(None, "保存回执", tmp_path / "回执.json", "回执 (*.json)", ".json")
    assert fake.opened_in[-1] == str(tmp_path / "回执.json")


def test_a_remembered_folder_that_is_gone_falls_back_to_the_default(qapp, monkeypatch, tmp_path):
    fake = FakeDialog(monkeypatch)
    stick = tmp_path / "E盘"
    stick.mkdir()
    fake.answer = str(stick)
    assert ask_folder(None, "备份到哪个文件夹（可以选 U 盘）", default=tmp_path) == stick
    stick.rmdir()  # the USB stick was pulled out
    ask_folder(None, "备份到哪个文件夹（可以选 U 盘）", default=tmp_path)
    assert fake.opened_in == [str(tmp_path), str(tmp_path)]
