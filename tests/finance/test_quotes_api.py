"""POST /finance/quotes through the API: a VIN in stock or a price; bad input gets a code."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests import factories as f

URL = "/api/v1/finance/quotes"


@pytest.fixture
def vins(db):
    net = f.network(db)
    # trim 0 is the BMW iX3, a battery car
    return f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1, 2], price="300000.00")


def test_hire_purchase_quote_for_a_vin(client, vins):
    r = client.post(
        URL,
        json={
            "vin": vins[0],
            "product": "hire_purchase",
            "term_months": 36,
            "down_payment": {"amount": "60000.00", "currency": "CNY"},
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["amount_financed"] == {"amount": "240000.00", "currency": "CNY"}
    assert len(body["schedule"]) == 36
    assert sum(Decimal(x["principal"]) for x in body["schedule"]) == Decimal("240000.00")
    assert body["schedule"][-1]["balance"] == "0.00"
    assert Decimal(body["apr"]) > Decimal(body["rate"])  # the fee counts
    assert set(body["schedule"][0]) == {"n", "due_date", "principal", "interest", "balance"}


def test_lease_quote_for_a_battery_car_uses_its_residual(client, vins):
    r = client.post(
        URL,
        json={"vin": vins[0], "product": "lease", "term_months": 36, "down_payment": "45000.00"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["residual_value"]["amount"] == "132000.00"  # 44 % of 300,000 for a BEV
    assert body["schedule"][-1]["balance"] == "132000.00"


def test_cash_quote_by_price(client, db):
    r = client.post(URL, json={"price": {"amount": "189800.00"}, "product": "cash"})
    assert r.status_code == 200, r.text
    assert r.json()["total_payable"]["amount"] == "189800.00"
    assert r.json()["schedule"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"product": "cash"}, "vin_or_price"),
        ({"price": "100000.00", "product": "hire_purchase", "term_months": 90}, "invalid_term"),
        (
            {"price": {"amount": "100000.00", "currency": "USD"}, "product": "cash"},
            "currency_not_supported",
        ),
        (
            {
                "price": "100000.00",
                "product": "hire_purchase",
                "term_months": 24,
                "down_payment": "100000.00",
            },
            "down_payment_too_large",
        ),
        (
            {
                "price": "100000.00",
                "product": "hire_purchase",
                "term_months": 24,
                "down_payment": "100.00",
            },
            "down_payment_below_minimum",
        ),
        ({"price": "999999999999.00", "product": "cash"}, "amount_out_of_range"),
        ({"price": "-5.00", "product": "cash"}, "validation_error"),
        ({"price": 1.5, "product": "cash"}, "validation_error"),
        ({"price": "1e400", "product": "cash"}, "validation_error"),
        ({"price": "100000.00", "product": "barter"}, "validation_error"),
    ],
)
def test_bad_input_is_a_422_with_a_stable_code(client, db, body, code):
    r = client.post(URL, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code


def test_unknown_vin_is_404(client, vins):
    r = client.post(URL, json={"vin": f.vin(999), "product": "cash"})
    assert r.status_code == 404 and r.json()["code"] == "vehicle_not_found"


def test_the_vehicle_page_links_a_calculator_with_the_three_products(client, vins):
    assert f"/vehicles/{vins[0]}/finance" in client.get(f"/vehicles/{vins[0]}").text
    page = client.get(f"/vehicles/{vins[0]}/finance?down_pct=20&term=24&lang=zh_Hans")
    assert page.status_code == 200
    assert "分期付款" in page.text and "融资租赁" in page.text and "全款" in page.text
    assert page.text.count("<details>") == 2  # a schedule for each financed product
    # the schedule's dates and amounts as a Chinese reader writes them, not ISO and "%.2f"
    schedule = page.text[page.text.index("<details>") :]
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", schedule)
    assert re.search(r"¥[\d,]+(\.\d\d)?</td>", schedule)
    assert not re.search(r">\d{4}-\d\d-\d\d<", schedule)
    low = client.get(f"/vehicles/{vins[0]}/finance?down_pct=5&term=24")
    assert "at least" in low.text  # below the policy's minimum down payment: said, not a 500
    assert client.get(f"/vehicles/{f.vin(999)}/finance").status_code == 404
