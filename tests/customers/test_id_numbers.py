"""Resident ID numbers (GB 11643-1999): form, date of birth, region and check character."""

import datetime as dt

import pytest

from motormall.customers.rules import check_char, masked, parse_resident_id
from motormall.platform.errors import Invalid

TODAY = dt.date(2026, 12, 1)
# The standard's own example, and numbers whose check character was worked out by hand
# (sum of digit x weight, mod 11, then "10X98765432"[r]):
#   11010519491231002: 167 -> 2 -> X      44052419800101001: 196 -> 9 -> 3
#   31010420000229001: 140 -> 8 -> 4      51010820261201000: 145 -> 2 -> X
GOOD = ["11010519491231002X", "440524198001010013", "310104200002290014", "51010820261201000X"]


def reason(text: str, today: dt.date = TODAY) -> str:
    with pytest.raises(Invalid) as caught:
        parse_resident_id(text, today=today)
    assert caught.value.code == "invalid_id_number"
    return caught.value.fields["reason"]


def test_weights_give_the_standard_example():
    assert check_char("11010519491231002") == "X"
    assert check_char("44052419800101001") == "3"


@pytest.mark.parametrize("number", GOOD)
def test_known_good_numbers_pass(number):
    parsed = parse_resident_id(number, today=TODAY)
    assert parsed.number == number
    assert parsed.last4 == number[-4:]


def test_birth_date_is_read_and_typing_noise_is_forgiven():
    parsed = parse_resident_id(" 110105 19491231 002x ", today=TODAY)
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)


@pytest.mark.parametrize("number", GOOD)
def test_every_wrong_check_character_is_refused(number):
    wrong = [c for c in "0123456789X" if c != number[-1]]
    assert len(wrong) == 10
    for c in wrong:
        assert reason(number[:17] + c) == "check_character"


def test_a_single_changed_digit_is_caught():
    assert reason("11010519491231003X") == "check_character"


@pytest.mark.parametrize(
    "text,why",
    [
        ("", "length"),
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("1101051949123100AX", "characters"),
        ("11010519491231002Y", "characters"),
        ("１１０１０５１９４９１２３１００２X", "characters"),  # full-width digits
        ("00010519491231002X", "region"),
        ("01000019491231002X", "region"),
        ("10000019491231002X", "region"),
        ("11010519490231002X", "birth_date"),  # 31 February
        ("11010519491301002X", "birth_date"),  # month 13
        ("11010518991231002X", "birth_date"),  # before 1900
    ],
)
def test_malformed_numbers_say_why(text, why):
    assert reason(text) == why


def test_a_birth_date_in_the_future_is_refused():
    number = "110105" + "20261202" + "001"
    number += check_char(number)
    assert reason(number, today=dt.date(2026, 12, 1)) == "birth_date"
    assert parse_resident_id(number, today=dt.date(2026, 12, 2)).birth_date.day == 2


def test_leap_day_is_a_real_date_only_in_leap_years():
    leap = "310104200002290014"
    assert parse_resident_id(leap, today=TODAY).birth_date == dt.date(2000, 2, 29)
    number = "310104" + "19000229" + "001"
    assert reason(number + check_char(number)) == "birth_date"  # 1900 was not a leap year


def test_masked_shows_only_the_last_four():
    assert masked("002X") == "**************002X"
