"""Finance contracts and their instalments: offer on approval, accept (the order becomes
`contracted`), collect each instalment through the payments port, mark arrears with a late
fee, and pay off early. Flush, never commit.

Ledger (through payments' ledger): accepting posts the advance (debit `finance_receivable`,
credit `customer_payments`, the money the lender puts toward the car for the buyer); each
instalment received moves `customer_instalments` to `finance_receivable` (principal),
`finance_interest_income` and `finance_fee_income` (late fees)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.finance import contract_pdf, rules
from motormall.finance.events import FinanceContractAccepted, InstalmentPaid
from motormall.finance.models import FinanceApplication, FinanceContract, Instalment
from motormall.orders import service as orders
from motormall.orders.models import Order
from motormall.orders.rules import OrderStatus
from motormall.payments import ledger
from motormall.payments.ledger import credit, debit
from motormall.platform import audit, events, jobs
from motormall.platform.auth import Principal, User
from motormall.platform.errors import Conflict, Forbidden, Invalid, NotFound
from motormall.platform.money import round_money

ZERO = Decimal("0.00")
RECEIVABLE, INTEREST, FEES = "finance_receivable", "finance_interest_income", "finance_fee_income"
HELD = "customer_instalments"  # payments credits this when instalment money arrives
OPEN = ("scheduled", "late")


def _quote_from(app: FinanceApplication, order: Order, start: dt.date) -> rules.Quote:
    i = app.inputs  # the terms the application was decided on, not today's policy
    rate = Decimal(i["rate_pct"]) / 100
    terms = rules.Terms(
        hire_purchase_rate=rate,
        lease_rate=rate,
        arrangement_fee=Decimal(i["fee"]),
        min_down_payment_pct={p: Decimal("0") for p in ("ice", "hev", "phev", "bev")},
        max_term_months=84,
    )
    return rules.quote(
        product=order.product,
        price=order.price,
        term_months=order.term_months,
        down_payment=order.down_payment,
        powertrain=i["powertrain"],
        terms=terms,
        start=start,
    )


def offer(session: Session, app: FinanceApplication, order: Order, *, now: dt.datetime):
    """Write the contract for an approved application: the quote it was approved on. Its
    PDF and SHA-256 are written by a job after commit (`render_document`): rendering costs
    about 45 ms, which the decision's own transaction does not wait for. Due dates in the
    PDF count from the offer's day; accepting counts them from the day of acceptance (same
    amounts)."""
    quote = _quote_from(app, order, now.date())
    contract = FinanceContract(
        order_id=order.id,
        application_id=app.id,
        customer_id=order.customer_id,
        product=order.product,
        terms=_terms_json(quote),
        status="offered",
        created_at=now,
    )
    session.add(contract)
    session.flush()
    jobs.after_commit(session, "finance.render_contract", contract.id)
    return contract


def render_document(session: Session, contract_id: str) -> bool:
    """The contract's PDF and its SHA-256, once (a repeat finds it done)."""
    contract = session.get(FinanceContract, contract_id, with_for_update=True)
    if contract is None or contract.pdf is not None:
        return False
    app = session.get(FinanceApplication, contract.application_id)
    order = session.get(Order, contract.order_id)
    quote = _quote_from(app, order, contract.created_at.date())
    name = session.scalar(select(User.name).where(User.id == order.customer_id)) or ""
    pdf = contract_pdf.render(order_id=order.id, vin=order.vin, customer=name, quote=quote)
    contract.pdf, contract.sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    return True


def not_ready() -> Conflict:
    return Conflict(
        "contract_not_ready", "The contract document is being prepared; try again in a moment."
    )


def _terms_json(q: rules.Quote) -> dict:
    return {
        "price": f"{q.price:.2f}",
        "down_payment": f"{q.down_payment:.2f}",
        "amount_financed": f"{q.amount_financed:.2f}",
        "fee": f"{q.fee:.2f}",
        "rate_pct": f"{q.rate * 100:.2f}",
        "apr": f"{q.apr:.2f}",
        "term_months": q.term_months,
        "monthly_payment": f"{q.monthly_payment:.2f}",
        "residual_value": f"{q.residual_value:.2f}",
        "schedule": [
            [r.n, r.due_date.isoformat(), f"{r.principal:.2f}", f"{r.interest:.2f}"]
            for r in q.schedule
        ],
    }


def contract_for(session: Session, who: Principal, order_id: str, *, lock: bool = False):
    order = orders.get_for(session, who, order_id, lock=lock)
    stmt = select(FinanceContract).where(FinanceContract.order_id == order.id)
    contract = session.scalar(stmt.with_for_update() if lock else stmt)
    if contract is None:
        raise NotFound("no_contract", f"Order {order_id} has no finance contract.")
    return order, contract


def accept(
    session: Session, who: Principal, order_id: str, sha256: str, *, now: dt.datetime
) -> FinanceContract:
    """The buyer accepts the contract they read (named by its SHA-256): the order becomes
    `contracted` (the car stays held), the schedule becomes instalments, the advance posts."""
    order, contract = contract_for(session, who, order_id, lock=True)
    if who.user_id != order.customer_id:
        raise Forbidden("role_not_allowed", "Only the buyer accepts the contract.")
    if contract.status != "offered":
        raise Conflict("contract_accepted", "This contract was already accepted.")
    if contract.sha256 is None:
        raise not_ready()
    if sha256.lower() != contract.sha256:
        raise Invalid(
            "contract_changed",
            "The document you accepted is not the one on offer; download it again.",
        )
    if order.status != OrderStatus.financing:
        raise Conflict(
            "illegal_transition",
            f"An order that is {order.status} cannot take a contract.",
            current_status=order.status,
        )
    contract.status, contract.accepted_at = "accepted", now
    orders.sign_contract(session, order, actor_id=who.user_id, now=now)
    # the schedule counts from the day of acceptance (same amounts, later dates if need be)
    first = now.date()
    for n, _due, principal, interest in contract.terms["schedule"]:
        session.add(
            Instalment(
                contract_id=contract.id,
                order_id=order.id,
                customer_id=order.customer_id,
                n=n,
                due_date=rules.add_months(first, n),
                principal=Decimal(principal),
                interest=Decimal(interest),
                status="scheduled",
            )
        )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("contract_accepted", "This contract was already accepted.") from None
    financed = Decimal(contract.terms["amount_financed"])
    ledger.post(
        session,
        "finance_advance",
        [debit(RECEIVABLE, financed), credit("customer_payments", financed)],
        currency=order.currency,
        order_id=order.id,
    )
    audit.record(
        session,
        actor_id=who.user_id,
        action="finance.contract.accepted",
        entity_type="finance_contract",
        entity_id=contract.id,
        detail={"order_id": order.id, "sha256": contract.sha256},
    )
    events.publish(
        session,
        FinanceContractAccepted(
            entity_id=contract.id,
            customer_id=order.customer_id,
            dealer_ids=orders.dealers_of(order),
            at=now,
            order_id=order.id,
            sha256=contract.sha256,
        ),
    )
    return contract


def instalments_of(session: Session, contract_id: str) -> list[Instalment]:
    return list(
        session.scalars(
            select(Instalment).where(Instalment.contract_id == contract_id).order_by(Instalment.n)
        )
    )


def shown_status(inst: Instalment, today: dt.date) -> str:
    """paid, late, due (falls due today or is the next one within a month) or upcoming;
    cancelled with its order."""
    if inst.status in ("paid", "paid_off", "cancelled"):
        return inst.status
    if inst.status == "late" or inst.due_date < today:
        return "late"
    return "due" if inst.due_date <= rules.add_months(today, 1) else "upcoming"


def amount_of(inst: Instalment) -> Decimal:
    return inst.principal + inst.interest + inst.late_fee


# --- money in -----------------------------------------------------------------------------


def instalment_received(session: Session, inst: Instalment, *, now: dt.datetime) -> str:
    """Settle one instalment: the ledger moves the money to principal, interest and fees.
    Money for an instalment already settled is sent back (`refund`)."""
    if inst.status not in OPEN:
        return "refund"
    paid = inst.collecting if inst.collecting is not None else amount_of(inst)
    inst.late_fee = paid - inst.principal - inst.interest
    inst.status, inst.paid_at = "paid", now
    ledger.post(
        session,
        "instalment_collected",
        [
            debit(HELD, amount_of(inst)),
            credit(RECEIVABLE, inst.principal),
            credit(INTEREST, inst.interest),
            credit(FEES, inst.late_fee),
        ],
        currency="CNY",
        order_id=inst.order_id,
        memo=f"instalment {inst.n}",
    )
    events.publish(
        session,
        InstalmentPaid(
            entity_id=inst.id,
            customer_id=inst.customer_id,
            at=now,
            order_id=inst.order_id,
            n=inst.n,
            amount=f"{amount_of(inst):.2f}",
        ),
    )
    return "applied"


def payoff_amount(open_rows: list[Instalment], on: dt.date, annual_rate: Decimal) -> Decimal:
    """Early payoff on `on`: the principal still owed, interest accrued day by day since the
    last due date (actual/365 on that principal), and any late fees already charged."""
    principal = sum((i.principal for i in open_rows), ZERO)
    fees = sum((i.late_fee for i in open_rows), ZERO)
    overdue_interest = sum((i.interest for i in open_rows if i.due_date <= on), ZERO)
    overdue_principal = sum((i.principal for i in open_rows if i.due_date <= on), ZERO)
    upcoming = [i for i in open_rows if i.due_date > on]
    if not upcoming:
        return principal + overdue_interest + fees
    next_due = min(i.due_date for i in upcoming)
    period_start = rules.add_months(next_due, -1)
    days = max((on - period_start).days, 0)
    accrued = round_money(
        (principal - overdue_principal) * annual_rate * Decimal(days) / Decimal(365)
    )
    return principal + overdue_interest + accrued + fees


def open_instalments(session: Session, contract_id: str, *, lock: bool = False):
    stmt = (
        select(Instalment)
        .where(Instalment.contract_id == contract_id, Instalment.status.in_(OPEN))
        .order_by(Instalment.id)
    )
    rows = list(session.scalars(stmt.with_for_update() if lock else stmt))
    return sorted(rows, key=lambda i: i.n)


def paid_off(session: Session, contract: FinanceContract, *, now: dt.datetime) -> str:
    """The payoff money arrived: close every open instalment and the contract."""
    rows = open_instalments(session, contract.id, lock=True)
    if contract.status != "accepted" or not rows:
        return "refund"
    amount = Decimal(contract.terms["payoff"]["amount"])  # what the payment asked for
    principal = sum((i.principal for i in rows), ZERO)
    fees = sum((i.late_fee for i in rows), ZERO)
    for i in rows:
        i.status, i.paid_at = "paid_off", now
    contract.status = "paid_off"
    ledger.post(
        session,
        "finance_payoff",
        [
            debit(HELD, amount),
            credit(RECEIVABLE, principal),
            credit(INTEREST, amount - principal - fees),
            credit(FEES, fees),
        ],
        currency="CNY",
        order_id=contract.order_id,
    )
    return "applied"


def payoff_quote(contract: FinanceContract, rows: list[Instalment], now: dt.datetime) -> Decimal:
    """The exact payoff for today, kept on the contract: settling posts this amount."""
    amount = payoff_amount(rows, now.date(), Decimal(contract.terms["rate_pct"]) / 100)
    contract.terms = {
        **contract.terms,
        "payoff": {"amount": f"{amount:.2f}", "on": now.date().isoformat()},
    }
    return amount
