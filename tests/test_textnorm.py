"""What clerks type with a Chinese IME, and what gets stored: text, names and phone numbers."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adultschool.errors import AdultSchoolError
from adultschool.textnorm import clean_name, clean_text, normalise_phone, to_halfwidth

RARE_NAMES = ["王𬌗", "李堃", "张喆", "陈赟", "刘犇", "𠀀𪚥", "王〇"]


def phone_rejection(typed: str) -> str:
    """The message a clerk reads for a phone; fails the test if it is accepted."""
    with pytest.raises(AdultSchoolError) as caught:
        normalise_phone(typed)
    assert caught.value.field == "phone"
    return caught.value.message


# --- half-width and clean text -------------------------------------------------------------------


def test_full_width_digits_and_ideographic_space_are_normalised():
    assert to_halfwidth("１２３Ｘ\u3000ａｂｃ！～（）－") == "123X abc!~()-"


def test_halfwidth_touches_nothing_outside_the_full_width_ascii_block():
    # NFKC would turn these into other characters; to_halfwidth must not.
    kept = "\uf900張三￥ｶ①\u00a0"
    assert unicodedata.normalize("NFKC", kept) != kept
    assert to_halfwidth(kept) == kept


@given(st.text())
def test_halfwidth_maps_exactly_the_full_width_block_and_keeps_length(text):
    converted = to_halfwidth(text)
    assert len(converted) == len(text)
    for before, after in zip(text, converted, strict=True):
        if "\uff01" <= before <= "\uff5e":
            assert ord(after) == ord(before) - 0xFEE0
        elif before == "\u3000":
            assert after == " "
        else:
            assert after == before


@pytest.mark.parametrize(
    "typed", [None, "", "   ", "\u3000\u3000", "\t\n", "\u200b", "\ufeff \u00a0"]
)
def test_blank_input_becomes_none(typed):
    assert clean_text(typed) is None


def test_blanks_are_trimmed_and_inner_runs_collapsed():
    assert clean_text("\ufeff 宁波市\u3000\u3000北仑区\t 新碶街道\u00a0 ") == "宁波市 北仑区 新碶街道"


def test_zero_width_characters_are_removed_everywhere():
    assert clean_text("张\u200b三\ufeff") == "张三"


@given(st.text())
def test_clean_text_is_idempotent_and_leaves_no_stray_blanks(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    if cleaned is not None:
        assert cleaned == cleaned.strip()
        assert "  " not in cleaned
        assert not any(char.isspace() and char != " " for char in cleaned)


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("张 三", "张三"),
        (" 张\u3000三 ", "张三"),
        ("欧阳  娜娜", "欧阳娜娜"),
        ("买买提 · 艾力", "买买提·艾力"),
        ("John Smith", "John Smith"),
        ("John\u3000\u3000Smith ", "John Smith"),
        ("Ｌｉ Ｍｉｎｇ", "Li Ming"),
    ],
)
def test_name_blanks_next_to_chinese_characters_are_removed(typed, stored):
    assert clean_name(typed) == stored


@pytest.mark.parametrize("name", RARE_NAMES)
def test_rare_character_names_are_preserved(name):
    assert clean_name(name) == name
    assert clean_name(f"\u3000{name[0]} {name[1:]} ") == name


def test_astral_plane_characters_stay_single_code_points():
    stored = clean_name("王 𬌗")
    assert stored == "王\U0002c317"
    assert len(stored) == 2


def test_cjk_compatibility_ideograph_in_a_name_is_not_folded():
    assert clean_name("金 \uf900") == "金\uf900"


def test_blank_name_is_none():
    assert clean_name("\u3000 ") is None
    assert clean_name(None) is None


# --- phones --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("86 13812345678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_mobile_number_is_stored_as_eleven_digits(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0574-86123456", "0574-86123456"),
        ("0574 86123456", "0574-86123456"),
        ("057486123456", "0574-86123456"),
        ("(0574)86123456", "0574-86123456"),
        ("（０５７４）８６１２３４５６", "0574-86123456"),
        ("0574-8612-3456", "0574-86123456"),
        ("0571-8612345", "0571-8612345"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("(020) 8765 4321", "020-87654321"),
        ("02912345678", "029-12345678"),
    ],
)
def test_landline_is_stored_with_area_code_and_dash(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["0574-86123456转801", "0574-86123456-801", "(0574)86123456 转 801", "0574 86123456 ext.801",
     "0574-86123456EXT801", "０５７４－８６１２３４５６转８０１"],
)
def test_landline_extension_is_kept_after_a_dash(typed):
    assert normalise_phone(typed) == "0574-86123456-801"


@pytest.mark.parametrize("typed", [None, "", " ", "\u3000"])
def test_empty_phone_is_none(typed):
    assert normalise_phone(typed) is None


def test_unrecognised_phone_says_what_to_write_instead():
    assert phone_rejection("12345") == (
        "联系电话“12345”无法识别：请填写11位手机号码，或带区号的固定电话（如 0574-86123456）。"
    )


@pytest.mark.parametrize("typed", ["86123456", "8612345", "8612-3456", "86123456转801"])
def test_landline_without_area_code_asks_for_it(typed):
    message = phone_rejection(typed)
    assert "缺少区号" in message
    assert "0574-86123456" in message


@pytest.mark.parametrize(("typed", "count"), [("1381234567", 10), ("138123456789", 12)])
def test_mobile_with_a_digit_too_many_or_too_few_says_so(typed, count):
    message = phone_rejection(typed)
    assert f"有 {count} 位数字" in message
    assert "11位" in message


@pytest.mark.parametrize(
    "typed",
    ["abc", "无", "12345678901", "1.3812345678E+10", "0574-123456", "0574-861234567",
     "00123456789", "13812345678-801", "138١2345678", "-", "+86"],
)
def test_junk_phone_is_rejected(typed):
    assert "无法识别" in phone_rejection(typed)


@given(
    st.sampled_from(["", "+86", "86", "0086", "+86 ", "(+86)"]),
    st.sampled_from("3456789"),
    st.from_regex(r"\A[0-9]{9}\Z"),
    st.sampled_from(["", " ", "-"]),
    st.booleans(),
)
def test_any_typed_form_of_a_mobile_number_gives_its_eleven_digits(
    prefix, second, rest, separator, full_width
):
    mobile = f"1{second}{rest}"
    typed = prefix + separator.join([mobile[:3], mobile[3:7], mobile[7:]])
    if full_width:
        typed = typed.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}).replace(" ", "\u3000")
    assert normalise_phone(typed) == mobile


def test_free_text_keeps_chinese_punctuation_but_not_full_width_digits_or_letters():
    assert clean_text("叉车司机（五级）：Ａ类１２３") == "叉车司机（五级）：A类123"
