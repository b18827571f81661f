"""Output no console can break. A Chinese Windows console, or output redirected to a file there, uses code page 936
(GBK), which has no glyph for rare name characters (𬌗); printing one must neither crash a command nor report as
failed what has been committed. Such a character is printed as '?', and the command ends with a note saying how many
and how to get everything (`--out FILE`, always UTF-8, or a UTF-8 console)."""
from __future__ import annotations

import codecs
import sys

HANDLER = "adultschool-console"
_replaced = 0


def _replace(error: UnicodeError) -> tuple[str, int]:
    global _replaced
    if not isinstance(error, UnicodeEncodeError):
        raise error
    _replaced += error.end - error.start
    return "?" * (error.end - error.start), error.end


codecs.register_error(HANDLER, _replace)


def protect_streams() -> None:
    """Standard output and error replace what their encoding cannot hold instead of raising."""
    global _replaced
    _replaced = 0
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (getattr(stream, "encoding", "") or "").lower().replace("-", "") not in ("utf8",):
            try:
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
