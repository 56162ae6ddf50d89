"""Finance answers membership's credit-standing port with the customer's real score."""

from motormall.membership import ports
from tests.finance import helpers as fh
from tests.orders import helpers as oh


def test_membership_asks_finance_for_the_score(client, db):
    net, vins, buyer = oh.setup(db, client)
    me = client.get("/api/v1/me", headers=buyer).json()["id"]
    with db.reading() as s:
        assert ports.credit_standing.score(s, me) is None  # no profile yet
    fh.declare(client, buyer)
    score = client.get("/api/v1/me/credit", headers=buyer).json()["score"]
    with db.reading() as s:
        assert ports.credit_standing.score(s, me) == score
    assert 350 <= score <= 950
