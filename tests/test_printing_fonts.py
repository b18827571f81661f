"""Which font the PDFs use, and refusing text the font would print as empty boxes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adultschool import paths
from adultschool.errors import AdultSchoolError
from adultschool.printing import PdfFont, check_printable, find_font, fonts, register_font

SHIPPED = paths.resources_dir() / "fonts" / "LXGWWenKai-Regular.ttf"
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def test_the_shipped_lxgw_wenkai_is_found_first() -> None:
    font = find_font()
    assert font.path.resolve() == SHIPPED.resolve()
    assert font.subfont_index == 0


def test_the_same_font_is_registered_once_per_process() -> None:
    assert find_font() is find_font()
    assert register_font(SHIPPED) is find_font()


@pytest.mark.parametrize("char", ["堃", "喆", "赟", "犇", "𬌗", "𠮷", "〇", "“", "（"])
def test_the_shipped_font_has_rare_name_characters(char: str) -> None:
    assert find_font().has_glyph(char)


def test_a_private_use_character_has_no_glyph() -> None:
    assert not find_font().has_glyph("\ue000")


def test_text_with_a_missing_character_is_refused_naming_the_character_and_who() -> None:
    font = find_font()
    check_printable(font, [("学员“张𬌗”的姓名", "张𬌗"), ("学校名称", "大碶街道成人文化技术学校")])
    with pytest.raises(AdultSchoolError) as caught:
        check_printable(font, [("学员“王喆”的姓名", "王喆"), ("学员“李\ue000”（学籍号 330206-01-2026-00007）的姓名", "李\ue000")])
    message = caught.value.message
    assert "U+E000" in message
    assert "学员“李？”（学籍号 330206-01-2026-00007）的姓名" in message
    assert "\ue000" in message
    assert "换一种字体" in message


def test_a_preferred_font_that_does_not_exist_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(AdultSchoolError) as caught:
        find_font(tmp_path / "方正楷体.ttf")
    assert "方正楷体.ttf" in caught.value.message


def test_a_broken_preferred_font_is_named_in_the_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"this is not a font" * 100)
    with pytest.raises(AdultSchoolError) as caught:
        find_font(broken)
    assert "broken.ttf" in caught.value.message


def test_an_opentype_cff_font_is_refused_with_the_reason(tmp_path: Path) -> None:
    otf = tmp_path / "NotoSansCJKsc-Regular.otf"
    otf.write_bytes(b"OTTO" + b"\0" * 100)
    with pytest.raises(AdultSchoolError) as caught:
        find_font(otf)
    assert "NotoSansCJKsc-Regular.otf" in caught.value.message
    assert ".otf" in caught.value.message


def test_a_preferred_font_without_chinese_is_refused() -> None:
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not dejavu.is_file():
        pytest.skip("DejaVu Sans is not installed")
    with pytest.raises(AdultSchoolError) as caught:
        find_font(dejavu)
    assert "DejaVuSans.ttf" in caught.value.message
    assert "中文" in caught.value.message


def test_no_usable_font_anywhere_says_how_to_fix_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "readme.txt").write_text("no fonts here", encoding="utf-8")
    monkeypatch.setattr(fonts, "system_font_paths", lambda: [])
    with pytest.raises(AdultSchoolError) as caught:
        find_font(resources=tmp_path)
    message = caught.value.message
    assert "安装" in message
    assert ".ttf" in message
    assert str(tmp_path / "fonts") in message


def test_a_system_font_is_used_when_resources_have_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "system" / "simkai.ttf"
    copy.parent.mkdir()
    shutil.copyfile(SHIPPED, copy)
    monkeypatch.setattr(fonts, "system_font_paths", lambda: [copy])
    font = find_font(resources=tmp_path)
    assert font.path == copy
    assert font.has_glyph("堃")


def test_an_unusable_font_in_resources_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "a-broken.ttf").write_bytes(b"junk" * 50)
    shutil.copyfile(SHIPPED, tmp_path / "fonts" / "b-wenkai.ttf")
    monkeypatch.setattr(fonts, "system_font_paths", lambda: [])
    assert find_font(resources=tmp_path).path.name == "b-wenkai.ttf"


@pytest.mark.skipif(not WQY.is_file(), reason="WenQuanYi Micro Hei (fonts-wqy-microhei) is not installed")
def test_a_ttc_face_is_chosen_by_subfont_index_and_lacks_what_it_lacks() -> None:
    mono = register_font(WQY, subfont_index=1)
    assert mono.subfont_index == 1
    assert mono.has_glyph("喆")
    # WenQuanYi has no 𬌗: exactly the case check_printable exists for.
    assert not mono.has_glyph("𬌗")
    with pytest.raises(AdultSchoolError, match="U\\+2C317"):
        check_printable(mono, [("学员“张𬌗”的姓名", "张𬌗")])


def test_a_pdf_font_made_by_hand_is_registered_on_first_use() -> None:
    font = PdfFont(name="hand-made-wenkai", path=SHIPPED)
    assert font.has_glyph("赟")
