"""Pure rules: money, places."""

from decimal import Decimal

import pytest

from motormall.platform.errors import Invalid
from motormall.platform.geo import bounding_box, haversine_km, parse_near
from motormall.platform.money import Money, parse_amount, round_money


def test_rounding_is_half_up_to_the_cent():
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    assert round_money(Decimal("-0.005")) == Decimal("-0.01")


def test_amounts_must_be_exact_decimal_strings():
    assert parse_amount("268000") == Decimal("268000.00")
    assert parse_amount("268000.5") == Decimal("268000.50")
    for bad in (0.1, "1.234", "abc", "NaN", "Infinity", True):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_money_never_mixes_currencies():
    assert (Money(Decimal("1.10")) + Money(Decimal("2.20"))).amount == Decimal("3.30")
    with pytest.raises(ValueError):
        Money(Decimal("1"), "CNY") + Money(Decimal("1"), "USD")
    assert Money(Decimal("268000")).to_json() == {"amount": "268000.00", "currency": "CNY"}


def test_haversine_matches_known_distances():
    # Shanghai People's Square to Beijing Tiananmen: about 1,067 km
    assert haversine_km(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(1067, abs=5)
    assert haversine_km(31.0, 121.0, 31.0, 121.0) == 0


def test_bounding_box_contains_the_circle():
    lat0, lat1, lon0, lon1 = bounding_box(31.23, 121.47, 50)
    for bearing_point in ((lat0, 121.47), (lat1, 121.47), (31.23, lon0), (31.23, lon1)):
        assert haversine_km(31.23, 121.47, *bearing_point) == pytest.approx(50, rel=0.01)


@pytest.mark.parametrize(
    "value,code",
    [
        ("91,10", "coordinate_out_of_range"),
        ("10,181", "coordinate_out_of_range"),
        ("abc", "invalid_coordinates"),
        ("1,2,3", "invalid_coordinates"),
        ("nan,1", "invalid_coordinates"),
    ],
)
def test_bad_places_are_refused(value, code):
    with pytest.raises(Invalid) as err:
        parse_near(value)
    assert err.value.code == code


def test_near_parses_lat_lon():
    assert parse_near("31.23, 121.47") == (31.23, 121.47)
