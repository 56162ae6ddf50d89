"""VIN rules."""

import pytest

from motormall.catalog.vin import normalise_vin, with_check_digit
from motormall.platform.errors import Invalid


def test_a_real_vin_passes_and_is_normalised():
    # a published example VIN with a correct check digit
    assert normalise_vin(" 1m8gdm9axkp042788 ") == "1M8GDM9AXKP042788"


def test_generated_vins_carry_a_valid_check_digit():
    vin = with_check_digit("LBV11GS00TA000123")
    assert normalise_vin(vin) == vin


def test_a_wrong_check_digit_is_refused():
    good = with_check_digit("LBV11GS00TA000123")
    wrong = good[:8] + ("1" if good[8] != "1" else "2") + good[9:]
    with pytest.raises(Invalid) as err:
        normalise_vin(wrong)
    assert err.value.code == "vin_check_digit"


@pytest.mark.parametrize("bad", ["", "LBV11GS0", "LBV11GS00TA0001234", "LBV11GS0OTA000123"])
def test_malformed_vins_are_refused(bad):
    with pytest.raises(Invalid) as err:
        normalise_vin(bad)
    assert err.value.code == "invalid_vin"
