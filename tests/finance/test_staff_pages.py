"""Staff views of finance: the dealer's financed orders with their finance status and whom to
call (their own orders only), and the OEM console's weekly chart and arrears."""

from __future__ import annotations

from sqlalchemy import update

from motormall.finance.models import FinanceContract
from tests import factories as f
from tests.finance.test_collections import _contracted


def test_the_dealer_sees_how_its_financed_orders_stand_and_whom_to_call(client, db):
    net, buyer, order, admin, base = _contracted(client, db)
    staff = f.token(client, net["users"]["staff"])
    page = client.get("/dealer/finance?lang=en", headers=staff)
    assert page.status_code == 200
    row = page.text.split(f'data-order="{order["id"]}"')[1].split("</article>")[0]
    assert "status-contracted" in row and "Contract signed" in row
    assert 'href="mailto:buyer@test.dev"' in row  # the buyer, to reach (tel: when a phone)
    with db.transaction() as s:
        s.execute(update(FinanceContract).values(collections=True))
    page = client.get("/dealer/finance?lang=zh_Hans", headers=staff)
    assert "finance-arrears" in page.text and "逾期" in page.text
    other = f.token(client, net["users"]["other_manager"])
    assert order["id"] not in client.get("/dealer/finance", headers=other).text


def test_the_console_charts_applications_per_week(client, db):
    net, buyer, order, admin, base = _contracted(client, db)
    page = client.get("/oem/credit/applications?lang=zh_Hans", headers=admin)
    assert page.status_code == 200
    svg = page.text.split("<svg")[1].split("</svg>")[0]
    assert 'class="approved"' in svg and "已批准: 1" in svg  # this week's approval
    assert "每周金融申请" in svg
