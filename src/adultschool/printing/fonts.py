"""Which TrueType font the PDFs are drawn with, registered once per process, and whether it has every character.

reportlab's built-in CID fonts (STSong-Light) are never embedded, so a PDF made with them prints boxes
at the copy shop (STYLE.md, Traps); everything here is an embedded TrueType subset instead.
"""
from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, TTFError, TTFont

from adultschool import paths
from adultschool.errors import AdultSchoolError

# A font without these cannot print our forms at all; one with them is worth trying.
_CJK_PROBE = "学员姓名证书报名签到"
_FONT_SUFFIXES = (".ttf", ".ttc")
# Debian/Ubuntu package file names of TrueType CJK fonts. Noto/Source Han CJK ship as OpenType-CFF
# (even the .ttc), which reportlab cannot read; they fail the load and are skipped, as are .otf files.
_LINUX_CJK_HINTS = ("wqy", "wenquanyi", "lxgw", "wenkai", "ukai", "uming", "droidsansfallback",
                    "notosanscjk", "notoserifcjk", "sourcehan", "arphic", "zcool", "simsun", "simkai",
                    "simhei", "msyh")
_WINDOWS_FONTS = ("simsun.ttc", "simkai.ttf", "simhei.ttf", "msyh.ttc")
_LINUX_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")

_lock = threading.RLock()
_registered: dict[tuple[str, int], PdfFont] = {}
_glyphs: dict[str, frozenset[int]] = {}


@dataclass(frozen=True)
class PdfFont:
    """A TrueType font registered with reportlab under `name`; `subfont_index` picks a face of a .ttc."""

    name: str
    path: Path
    subfont_index: int = 0

    def has_glyph(self, char: str) -> bool:
        """True when the font draws `char` (one character) with a real glyph, not the empty box."""
        return ord(char) in _glyph_set(self)


class _TTFont(TTFont):
    """reportlab's TTFont with a ToUnicode map that is right for characters beyond U+FFFF.

    reportlab writes such a character as five hex digits ("<2C317>"), which readers reject, so a rare
    name like 张𬌗 would print but not copy or search; PDF wants its UTF-16 form (<D870DF17>)."""

    def addObjects(self, doc: pdfdoc.PDFDocument) -> None:  # noqa: N802 (reportlab's name)
        state = self.state.get(doc)
        subsets = [list(subset) for subset in state.subsets] if state is not None else []
        super().addObjects(doc)
        for number, subset in enumerate(subsets):
            if max(subset, default=0) <= 0xFFFF:
                continue
            base_name = b"".join((SUBSETN(number), b"+", self.face.name, self.face.subfontNameX)).decode("pdfdoc")
            stream = doc.idToObject.get("toUnicodeCMap:" + base_name)
            if isinstance(stream, pdfdoc.PDFStream):
                stream.content = _to_unicode_cmap(base_name, subset)


def _to_unicode_cmap(font_name: str, subset: list[int]) -> str:
    def utf16(code: int) -> str:
        return chr(code).encode("utf-16-be", "surrogatepass").hex().upper()

    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo", f"<< /Registry ({font_name})", f"/Ordering ({font_name})", "/Supplement 0", ">> def",
        f"/CMapName /{font_name} def", "/CMapType 2 def",
        "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{index:02X}> <{utf16(code)}>" for index, code in enumerate(subset)),
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ]
    return "\n".join(lines)


def _glyph_set(font: PdfFont) -> frozenset[int]:
    with _lock:
        glyphs = _glyphs.get(font.name)
        if glyphs is None:
            tt = _ttfont(font)
            glyphs = frozenset(code for code, glyph in tt.face.charToGlyph.items() if glyph)
            _glyphs[font.name] = glyphs
        return glyphs


def _ttfont(font: PdfFont) -> TTFont:
    """The reportlab font behind `font`, registering it first if this PdfFont was made by hand."""
    with _lock:
        try:
            existing = pdfmetrics.getFont(font.name)
        except KeyError:
            existing = None
        if isinstance(existing, TTFont):
            return existing
        tt = _TTFont(font.name, str(font.path), subfontIndex=font.subfont_index)
        pdfmetrics.registerFont(tt)
        return tt


def register_font(path: str | os.PathLike[str], subfont_index: int = 0) -> PdfFont:
    """Load and register a .ttf/.ttc face once per process; raises AdultSchoolError naming the file."""
    file = Path(path).expanduser()
    key = (str(file.resolve()), subfont_index)
    with _lock:
        cached = _registered.get(key)
        if cached is not None:
            return cached
        if not file.is_file():
            raise AdultSchoolError(f"找不到字体文件“{file}”：请在设置里重新选择字体。", field="font")
        if file.suffix.lower() not in _FONT_SUFFIXES:
            raise AdultSchoolError(
                f"字体文件“{file.name}”不能用来打印：只支持 TrueType 字体（.ttf 或 .ttc），"
                "OpenType（.otf）字体嵌入不进 PDF。请在设置里换一种字体（如 LXGW 文楷）。", field="font")
        name = f"adultschool-{file.stem}-{subfont_index}"
        suffix = 1
        while _name_taken(name):
            suffix += 1
            name = f"adultschool-{file.stem}-{subfont_index}-{suffix}"
        try:
            tt = _TTFont(name, str(file), subfontIndex=subfont_index)
        except (TTFError, ValueError, OSError, KeyError, IndexError, AssertionError) as exc:
            # TTFError covers CFF outlines, fonts that forbid embedding and damaged files.
            raise AdultSchoolError(
                f"字体文件“{file.name}”不能用来打印（{exc}）：请在设置里换一种 TrueType 字体（如 LXGW 文楷）。",
                field="font") from exc
        pdfmetrics.registerFont(tt)
        font = PdfFont(name=name, path=file, subfont_index=subfont_index)
        _registered[key] = font
        return font


def _name_taken(name: str) -> bool:
    try:
        pdfmetrics.getFont(name)
    except KeyError:
        return False
    return True


def _covers_chinese(font: PdfFont) -> bool:
    return all(font.has_glyph(char) for char in _CJK_PROBE)


def find_font(preferred: str | os.PathLike[str] | None = None, *, resources: Path | None = None) -> PdfFont:
    """The font to print with: the one chosen in the settings, else the first usable font shipped in
    resources/fonts, else a Chinese system font (SimSun, KaiTi, SimHei, YaHei; WenQuanYi, LXGW, AR PL…)."""
    if preferred:
        font = register_font(preferred)
        if not _covers_chinese(font):
            raise AdultSchoolError(
                f"字体文件“{Path(preferred).name}”没有中文字形，打印出来会是空白方框：请在设置里换一种中文字体（如 LXGW 文楷）。",
                field="font")
        return font
    folder = (resources if resources is not None else paths.resources_dir()) / "fonts"
    for path in _candidates(folder):
        try:
            font = register_font(path)
        except AdultSchoolError:
            continue  # an unreadable or CFF font among many: try the next
        if _covers_chinese(font):
            return font
    raise AdultSchoolError(
        "找不到可以打印中文的字体：请在电脑上安装一种中文 TrueType 字体（如 LXGW 文楷、宋体、文泉驿微米黑），"
        f"或把一个 .ttf 字体文件放进“{folder}”文件夹，也可以在设置里直接选择字体文件，然后再打印。",
        field="font")


def _candidates(resource_fonts: Path) -> Iterator[Path]:
    if resource_fonts.is_dir():
        yield from sorted(p for p in resource_fonts.iterdir() if p.suffix.lower() in _FONT_SUFFIXES)
    yield from system_font_paths()


def system_font_paths() -> list[Path]:
    """Chinese TrueType fonts this computer has, most suitable first (tests replace this)."""
    if sys.platform == "win32":
        folder = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
        return [folder / name for name in _WINDOWS_FONTS if (folder / name).is_file()]
    return list(_scan_font_folders())


@functools.cache
def _scan_font_folders() -> tuple[Path, ...]:
    """Walking /usr/share/fonts takes a moment on a desktop with many fonts: once per process."""
    found: list[Path] = []
    for root in _LINUX_FONT_DIRS:
        base = Path(root).expanduser()
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            lowered = path.name.lower().replace("-", "").replace("_", "")
            if path.suffix.lower() in _FONT_SUFFIXES and any(hint in lowered for hint in _LINUX_CJK_HINTS):
                found.append(path)
    return tuple(found)


def check_printable(font: PdfFont, items: Iterable[tuple[str, str]]) -> None:
    """Refuse, before anything is drawn, text with a character the font would print as an empty box.

    `items` are (who, text): `who` says in Chinese whose text it is ('学员“张𬌗”（学籍号 …）的姓名')."""
    glyphs = _glyph_set(font)
    for who, text in items:
        for char in text:
            if char in "\n\r\t" or ord(char) in glyphs:
                continue
            shown = who.replace(char, "？")
            raise AdultSchoolError(
                f"{shown}里有字“{char}”（U+{ord(char):04X}），所选字体（{font.path.name}）没有这个字，"
                "打印出来会是空白方框：请在设置里换一种字体（如 LXGW 文楷）后再打印。",
                field="font")
