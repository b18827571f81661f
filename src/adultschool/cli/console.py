"""Output no console can break. A Chinese Windows console, or output redirected to a file there, uses code page 936
(GBK), which has no glyph for rare name characters (𬌗); printing one must neither crash a command nor report as
failed what has been committed. Such a character is printed as '?', and the command ends with a note saying how many
and how to get everything (`--out FILE`, always UTF-8, or a UTF-8 console).

On Windows, output redirected from a console (`> 名单.txt`, `| findstr 张`, PowerShell reading a command's output) is
written in that console's code page, which is what cmd, findstr, more, Notepad and PowerShell read it as, instead of the
UTF-8 that `-X utf8` would give; the console itself gets Unicode from Python either way. An explicit PYTHONIOENCODING
wins (the installed adultschool.cmd clears one inherited from elsewhere).
"""
from __future__ import annotations

import codecs
import io
import os
import sys
from typing import Callable, TextIO

HANDLER = "adultschool-console"
_replaced = 0


def _replace(error: UnicodeError) -> tuple[str, int]:
    global _replaced
    if not isinstance(error, UnicodeEncodeError):
        raise error
    _replaced += error.end - error.start
    return "?" * (error.end - error.start), error.end


codecs.register_error(HANDLER, _replace)


def windows_console_code_page() -> int | None:
    """The output code page of the console this process belongs to (936 on Chinese Windows), None without one."""
    if sys.platform != "win32":
        return None
    import ctypes

    code_page = ctypes.windll.kernel32.GetConsoleOutputCP()
    return code_page or None


def _is_console(stream: TextIO) -> bool:
    """True when the stream writes to a Windows console itself (Python gives a console Unicode, whatever its code page)."""
    raw = getattr(getattr(stream, "buffer", None), "raw", None)
    console_io = getattr(io, "_WindowsConsoleIO", None)
    return console_io is not None and isinstance(raw, console_io)


def redirected_encoding(stream: TextIO, code_page: int | None) -> str | None:
    """The encoding a stream redirected from a console with `code_page` should write, or None to leave it."""
    if code_page is None or os.environ.get("PYTHONIOENCODING") or _is_console(stream):
        return None
    encoding = f"cp{code_page}"
    try:
        codecs.lookup(encoding)
    except LookupError:  # a code page Python has no codec for: keep what the stream has
        return None
    return encoding


def protect_streams(console_code_page: Callable[[], int | None] = windows_console_code_page) -> None:
    """Standard output and error replace what their encoding cannot hold instead of raising; redirected from a console
    they write its code page."""
    global _replaced
    _replaced = 0
    code_page = None
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        if code_page is None:
            code_page = console_code_page()
        encoding = redirected_encoding(stream, code_page)
        try:
            if encoding is not None:
                reconfigure(encoding=encoding, errors=HANDLER)
            elif (getattr(stream, "encoding", "") or "").lower().replace("-", "") not in ("utf8",):
                reconfigure(errors=HANDLER)
        except (ValueError, OSError):  # a closed or detached stream: nothing to protect
            pass


def replaced_count() -> int:
    return _replaced


def note_replacements() -> None:
    """After the command: say that characters were shown as '?' (the data itself is untouched)."""
    if _replaced:
        encoding = getattr(sys.stdout, "encoding", "") or "?"
        print(f"注意：有 {_replaced} 个字符（如生僻字）在这个控制台（编码 {encoding}）无法显示，已用“?”代替；数据库里的数据不受影响。"
              "需要完整内容，请用 --out 文件名 写入文件（UTF-8），或在 UTF-8 控制台（chcp 65001）中运行。", file=sys.stderr)
