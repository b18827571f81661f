"""Resident ID numbers as clerks type them: what is accepted, refused, and what the clerk reads."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric

from adultschool.errors import AdultSchoolError
from adultschool.idcard import (
    PROVINCE_CODES,
    ResidentId,
    age_on,
    foreign_2017_check_digit,
    is_valid,
    mask,
    normalise,
    parse,
)

TODAY = date(2025, 6, 30)  # this module's day, passed to parse() explicitly

# Weights of ISO 7064 MOD 11-2 written out from GB 11643, independent of stdnum's base-13 trick.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first_17: str) -> str:
    remainder = sum(int(d) * w for d, w in zip(first_17, _WEIGHTS, strict=True)) % 11
    return "10X98765432"[remainder]


def make_id(county: str = "330205", born: date = date(1990, 1, 1), sequence: str = "123") -> str:
    body = f"{county}{born:%Y%m%d}{sequence}"
    return body + check_char(body)


def rejection(text: str | None, *, today: date = TODAY) -> str:
    """The message a clerk reads for `text`; fails the test if the number is accepted."""
    with pytest.raises(AdultSchoolError) as caught:
        parse(text, today=today)
    assert caught.value.field == "id_number"
    return caught.value.message


valid_numbers = st.builds(
    lambda province, county, born, sequence: make_id(f"{province}{county}", born, sequence),
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.from_regex(r"\A[0-9]{4}\Z"),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.from_regex(r"\A[0-9]{3}\Z"),
)


def test_independent_check_character_agrees_with_stdnum_example():
    assert check_char("36042619910101007") == "1"
    assert ric.calc_check_digit("360426199101010071") == "1"


# --- accepted ------------------------------------------------------------------------------------


def test_valid_number_gives_birth_date_gender_and_province():
    person = parse(make_id("330205", date(1985, 7, 14), "123"), today=TODAY)
    assert person.birth_date == date(1985, 7, 14)
    assert person.gender == "male"
    assert person.province == "浙江"
    assert person.warnings == ()


def test_even_seventeenth_digit_is_female():
    assert parse(make_id(sequence="124"), today=TODAY).gender == "female"
    assert parse(make_id(sequence="120"), today=TODAY).gender == "female"


def test_full_width_digits_and_ideographic_space_are_normalised():
    number = make_id()
    full_width = number[:6].translate({c: c + 0xFEE0 for c in range(ord("0"), ord("9") + 1)})
    assert full_width == "３３０２０５"
    typed = f"\u3000{full_width}\u3000{number[6:]} "
    assert parse(typed, today=TODAY).number == number


def test_lowercase_and_full_width_x_check_character_become_capital_x():
    number = next(n for n in (make_id(sequence=f"{s:03d}") for s in range(1000)) if n.endswith("X"))
    assert parse(number[:17] + "x", today=TODAY).number == number
    assert parse(number[:17] + "ｘ", today=TODAY).number == number
    assert normalise(" 3302 05ｘ\u3000") == "330205X"


def test_normalise_keeps_other_characters_so_validation_can_complain():
    assert normalise("330205-1990") == "330205-1990"


def test_beilun_number_of_person_born_before_county_existed_is_accepted():
    # Beilun (330206) dates from the 1980s; numbers issued there later belong to older people.
    number = make_id("330206", date(1977, 3, 5), "011")
    assert not ric.is_valid(number), "stdnum's verdict would refuse a real person"
    person = parse(number, today=TODAY)
    assert person.birth_date == date(1977, 3, 5)
    assert person.warnings == ()


def test_unknown_county_is_only_a_warning():
    person = parse(make_id("330299"), today=TODAY)
    assert person.province == "浙江"
    assert len(person.warnings) == 1
    assert "330299" in person.warnings[0]
    assert "可以保存" in person.warnings[0]


def test_residence_permit_numbers_of_hong_kong_macao_and_taiwan_are_accepted():
    assert parse(make_id("810000"), today=TODAY).province == "香港"
    assert parse(make_id("820000"), today=TODAY).province == "澳门"
    assert parse(make_id("830000"), today=TODAY).province == "台湾居民居住证"


def test_born_today_is_accepted_and_born_on_first_day_of_1900_too():
    assert parse(make_id(born=TODAY), today=TODAY).birth_date == TODAY
    assert parse(make_id(born=date(1900, 1, 1)), today=TODAY).birth_date == date(1900, 1, 1)


def test_29_february_of_leap_year_is_accepted():
    assert parse(make_id(born=date(2000, 2, 29)), today=TODAY).birth_date == date(2000, 2, 29)


def test_is_valid_answers_yes_or_no():
    number = make_id()
    wrong_check = "1" if number[17] == "0" else "0"
    assert is_valid(number)
    assert not is_valid(number[:17] + wrong_check)
    assert not is_valid(None)


def test_repr_of_a_parsed_number_shows_it_masked():
    number = make_id()
    assert number not in repr(parse(number, today=TODAY))
    assert mask(number) in repr(parse(number, today=TODAY))


@given(valid_numbers)
def test_every_valid_number_parses_with_its_birth_date_and_gender(number):
    person = parse(number, today=TODAY)
    assert isinstance(person, ResidentId)
    assert person.number == number
    assert person.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert person.gender == ("male" if int(number[16]) % 2 == 1 else "female")
    assert person.province == PROVINCE_CODES[number[:2]]


# --- refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [None, "", "   ", "\u3000\u3000"])
def test_empty_input_asks_for_the_number(typed):
    assert "为空" in rejection(typed)


def test_old_fifteen_digit_number_becomes_its_eighteen_digit_form_with_a_warning():
    # GB 11643-1999: '19' before the two-digit year, then the MOD 11-2 check character.
    resident = parse("330205900101123")
    assert resident.number == "330205199001011239"
    assert resident.birth_date == date(1990, 1, 1) and resident.gender == "male"
    assert any("15位" in w and "330205********1239" in w for w in resident.warnings)
    assert "330205199001011239" not in " ".join(resident.warnings)  # masked, never in full


def test_fifteen_digit_number_with_an_impossible_birth_date_is_still_refused():
    assert "出生日期" in rejection("330205901301123")


@pytest.mark.parametrize(
    "cell", ["3.30205199001011E+17", "3.30205199001011e+17", "330205199001011000.0"]
)
def test_excel_number_is_rejected_as_not_digits_and_never_guessed(cell):
    message = rejection(cell)
    assert "Excel" in message
    assert "文本" in message
    assert "330205199001011" not in message


@pytest.mark.parametrize(
    ("typed", "length"), [(make_id()[:17], 17), (make_id() + "1", 19), ("3302", 4)]
)
def test_wrong_length_says_how_many_characters_it_has(typed, length):
    message = rejection(typed)
    assert "18位" in message
    assert f"{length} 个字符" in message


def test_letter_among_first_seventeen_is_named_with_its_position():
    number = make_id()
    message = rejection(number[:4] + "O" + number[5:])  # letter O typed for zero
    assert "第 5 位是“O”" in message
    assert "数字" in message


def test_x_before_the_last_position_is_refused():
    number = make_id()
    assert "第 17 位是“X”" in rejection(number[:16] + "X" + number[17:])


def test_last_character_must_be_digit_or_x():
    message = rejection(make_id()[:17] + "Y")
    assert "最后一位是“Y”" in message
    assert "X" in message


@pytest.mark.parametrize("province", ["00", "99", "72", "84"])
def test_unknown_province_code_is_named(province):
    message = rejection(make_id(province + "0205"))
    assert f"前两位“{province}”" in message


@pytest.mark.parametrize("birth", ["19990229", "19900230", "19901301", "19900100", "19000229"])
def test_birth_date_that_does_not_exist_is_named(birth):
    body = "330205" + birth + "123"
    message = rejection(body + check_char(body))
    assert f"“{birth}”" in message
    assert "出生日期" in message


def test_29_february_of_non_leap_year_is_rejected():
    body = "330205" + "20230229" + "456"
    assert "20230229" in rejection(body + check_char(body))


def test_future_birth_date_is_rejected():
    message = rejection(make_id(born=TODAY + timedelta(days=1)), today=TODAY)
    assert "晚于今天" in message
    assert "2025年07月01日" in message


def test_without_a_day_the_check_reads_the_program_clock():
    with time_machine.travel(datetime(2025, 6, 30, 9, 0).astimezone(), tick=False):
        with pytest.raises(AdultSchoolError, match="晚于今天"):
            parse(make_id(born=date(2025, 7, 1)))
        assert parse(make_id(born=date(2025, 6, 30))).birth_date == date(2025, 6, 30)


def test_birth_date_before_1900_is_rejected():
    assert "早于1900年" in rejection(make_id(born=date(1899, 12, 31)))


def test_mistyped_digit_asks_to_compare_with_the_card_without_telling_the_check_character():
    number = make_id(sequence="123")
    mistyped = number[:15] + "5" + number[16:]  # sequence digit: only the check can catch it
    message = rejection(mistyped)
    assert "对照身份证" in message
    assert not any(char.isdigit() or char == "X" for char in message)


@given(valid_numbers, st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_every_single_character_substitution_is_rejected(number, position, replacement):
    assume(number[position] != replacement)
    mistyped = number[:position] + replacement + number[position + 1 :]
    message = rejection(mistyped)
    assert mistyped not in message  # PIPL: never the full number in a message


@given(valid_numbers, st.integers(min_value=0, max_value=16))
def test_every_swap_of_neighbouring_characters_is_rejected(number, position):
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    assume(swapped != number)
    rejection(swapped)


# --- age -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2007, 6, 30), date(2025, 6, 29), 17),  # the day before the 18th birthday
        (date(2007, 6, 30), date(2025, 6, 30), 18),  # on the birthday
        (date(1965, 1, 1), date(2025, 12, 31), 60),
        (date(1965, 1, 1), date(2026, 1, 1), 61),
        (date(2000, 2, 29), date(2019, 2, 28), 18),  # leap-day birth, common year: not yet
        (date(2000, 2, 29), date(2019, 3, 1), 19),  # … a year older on 1 March
        (date(2000, 2, 29), date(2020, 2, 28), 19),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
        (date(1990, 5, 1), date(1990, 5, 1), 0),
    ],
)
def test_age_counts_full_years(born, day, age):
    assert age_on(born, day) == age


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(1, 120))
def test_age_goes_up_by_one_on_every_birthday(born, years):
    assume((born.month, born.day) != (2, 29))
    birthday = born.replace(year=born.year + years)
    assert age_on(born, birthday) == years
    assert age_on(born, birthday - timedelta(days=1)) == years - 1


# --- masking -------------------------------------------------------------------------------------


def test_mask_shows_first_six_and_last_four():
    assert mask("33020519900101123X") == "330205********123X"


@given(valid_numbers)
def test_mask_never_shows_the_birth_date_and_sequence_digits(number):
    masked = mask(number)
    assert masked == number[:6] + "********" + number[14:]
    assert number[6:14] not in masked


@given(st.text(max_size=40))
def test_mask_of_anything_else_keeps_only_the_ends(text):
    masked = mask(text)
    assert len(masked) == len(text)
    if len(text) == 18:
        return
    if len(text) < 8:
        assert masked == "*" * len(text)
    else:
        assert masked == text[:2] + "*" * (len(text) - 4) + text[-2:]


def test_mask_of_a_mangled_number_never_returns_it_unmasked():
    for text in ["3302051990010112", "3.30205199001011E+17", "1234", "x"]:
        assert mask(text) != text
        assert set(mask(text)[2:-2]) <= {"*"}


def _with_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def test_residence_permits_and_the_2023_foreign_permanent_residence_card_are_read_like_resident_ids():
    permit = parse(_with_check("81000019850203002"), today=date(2026, 12, 2))
    assert (permit.kind, permit.province, permit.birth_date, permit.gender) == ("hmt_permit", "香港", date(1985, 2, 3),
                                                                                 "female")
    foreign = parse(_with_check("93384019900115001"), today=date(2026, 12, 2))  # issued in 浙江 (33), nationality 840
    assert (foreign.kind, foreign.province, foreign.birth_date, foreign.gender, foreign.warnings) == (
        "foreign_permanent", "浙江", date(1990, 1, 15), "male", ())
    assert parse(_with_check("33020619900115001"), today=date(2026, 12, 2)).kind == "resident"
    with pytest.raises(AdultSchoolError, match="第2–3位“81”也不是签发省份的代码"):
        parse(_with_check("98184019900115001"), today=date(2026, 12, 2))
    with pytest.raises(AdultSchoolError, match="校验不通过"):
        parse("93384019900115001" + ("0" if _with_check("93384019900115001")[-1] != "0" else "1"),
              today=date(2026, 12, 2))


def _foreign_2017(first_14: str) -> str:
    return first_14 + foreign_2017_check_digit(first_14)


def test_check_digit_of_the_2017_foreign_card_uses_the_weights_7_3_1_with_letters_from_10():
    # U=30 S=28 A=10, then 3 3 0 2 9 0 0 1 1 5 1: 30*7+28*3+10*1 + 3*7+3*3+0*1 + 2*7+9*3+0*1 + 0*7+1*3+1*1 + 5*7+1*3
    assert foreign_2017_check_digit("USA33029001151") == str((210 + 84 + 10 + 21 + 9 + 14 + 27 + 3 + 1 + 35 + 3) % 10)


def test_2017_foreign_permanent_residence_card_number_gives_birth_date_gender_and_province():
    card = parse(_foreign_2017("USA33029001151"), today=date(2026, 12, 2))
    assert (card.kind, card.province, card.birth_date, card.gender, card.warnings) == (
        "foreign_permanent", "浙江", date(1990, 1, 15), "male", ())
    assert parse(_foreign_2017("DEU11050512312").lower(), today=date(2026, 12, 2)).birth_date == date(2005, 12, 31)
    assert parse(_foreign_2017("DEU11050512302"), today=date(2026, 12, 2)).gender == "female"


def test_two_digit_birth_year_of_the_2017_card_is_this_century_unless_still_to_come():
    assert parse(_foreign_2017("JPN31002612011"), today=date(2026, 11, 30)).birth_date == date(1926, 12, 1)
    assert parse(_foreign_2017("JPN31002612011"), today=date(2026, 12, 1)).birth_date == date(2026, 12, 1)


def test_wrong_check_digit_of_the_2017_card_only_warns_since_no_official_source_confirms_it():
    right = _foreign_2017("USA33029001151")
    wrong = right[:14] + str((int(right[14]) + 1) % 10)
    card = parse(wrong, today=date(2026, 12, 2))
    assert card.number == wrong
    assert len(card.warnings) == 1 and "校验方法不符" in card.warnings[0]


def test_2017_card_with_an_impossible_birth_date_is_refused():
    with pytest.raises(AdultSchoolError, match="第8–13位“900231”不是真实的出生日期"):
        parse(_foreign_2017("USA33029002311"), today=date(2026, 12, 2))


def test_2017_card_with_an_unknown_province_or_a_letter_among_the_digits_is_refused():
    with pytest.raises(AdultSchoolError, match="第4–5位“99”不是受理地省份的代码"):
        parse(_foreign_2017("USA99029001151"), today=date(2026, 12, 2))
    with pytest.raises(AdultSchoolError, match="3个英文字母（国籍代码）加12位数字"):
        parse("USA3302900115A1", today=date(2026, 12, 2))
