"""What the operating system says about a file reaches the clerk in Chinese, from a service, the CLI and the window."""
from __future__ import annotations

import errno

from adultschool.cli import main
from adultschool.errors import os_error_text


def test_common_file_errors_are_chinese_sentences():
    assert os_error_text(FileNotFoundError(errno.ENOENT, "No such file or directory")) == "找不到这个文件或文件夹"
    assert "没有权限" in os_error_text(PermissionError(errno.EACCES, "Permission denied"))
    assert os_error_text(OSError(errno.ENOSPC, "No space left on device")) == "磁盘空间不足"
    assert "写保护" in os_error_text(OSError(errno.EROFS, "Read-only file system"))
    sharing = OSError(errno.EACCES, "The process cannot access the file")
    sharing.winerror = 32  # Windows: the file is open in Excel
    assert "Excel" in os_error_text(sharing)
    # an errno we have no sentence for still says it is the system's and names it
    assert os_error_text(OSError(errno.ELOOP, "Too many levels of symbolic links")).startswith("系统报告的错误：")


def test_the_command_line_reports_a_missing_folder_in_chinese(school_db, capsys, tmp_path):
    code = main(["--db", str(school_db.path), "learners", "list", "--format", "csv",
                 "--out", str(tmp_path / "没有这个文件夹" / "名单.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "找不到这个文件或文件夹" in err and "No such file" not in err and "程序出错" not in err


def test_a_file_to_a_pulled_usb_stick_says_so_in_chinese(school_db, capsys, tmp_path):
    code = main(["--db", str(school_db.path), "audit", "access-log", "--out", str(tmp_path / "E盘" / "查看记录.xlsx")])
    err = capsys.readouterr().err
    assert code == 2 and "“查看记录.xlsx”" in err and "找不到这个文件或文件夹" in err and "No such file" not in err
