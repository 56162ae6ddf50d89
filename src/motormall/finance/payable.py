"""Instalments (and early payoff) as something payments can take money for, through the
payments.settlement port: kind "instalment"; purpose `instalment` names an instalment id,
purpose `payoff` a contract id."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from motormall.finance import contracts
from motormall.finance.models import FinanceContract, Instalment
from motormall.orders.models import Order
from motormall.orders.service import dealers_of
from motormall.payments.settlement import Due, Settled, register
from motormall.platform import locks
from motormall.platform.errors import Conflict, Invalid, NotFound


class InstalmentPayable:
    kind = "instalment"

    def _instalment(self, session: Session, instalment_id: str) -> Instalment:
        inst = locks.locked(session, Instalment, instalment_id)
        if inst is None:
            raise NotFound("instalment_not_found", f"No instalment {instalment_id}.")
        return inst

    def _contract(self, session: Session, contract_id: str) -> FinanceContract:
        contract = locks.locked(session, FinanceContract, contract_id)
        if contract is None:
            raise NotFound("no_contract", f"No finance contract {contract_id}.")
        return contract

    def _due(self, session, order_id: str, customer_id: str, amount, what: str) -> Due:
        order = session.get(Order, order_id)
        return Due(
            amount=amount,
            currency="CNY",
            customer_id=customer_id,
            order_id=order_id,
            dealer_ids=dealers_of(order),
            subject=f"motormall {what} {order.vin}",
            return_path=f"/orders/{order_id}",
        )

    def due(self, session: Session, payable_id: str, purpose: str, *, now: dt.datetime) -> Due:
        if purpose == "instalment":
            inst = self._instalment(session, payable_id)
            if inst.status not in contracts.OPEN:
                raise Conflict("instalment_not_due", f"Instalment {inst.n} is {inst.status}.")
            inst.collecting = contracts.amount_of(inst)
            return self._due(
                session, inst.order_id, inst.customer_id, inst.collecting, f"instalment {inst.n}"
            )
        if purpose == "payoff":
            contract = self._contract(session, payable_id)
            rows = contracts.open_instalments(session, contract.id, lock=True)
            if contract.status != "accepted" or not rows:
                raise Conflict("nothing_to_pay_off", "This contract has nothing left to pay.")
            amount = contracts.payoff_quote(contract, rows, now)
            return self._due(session, contract.order_id, contract.customer_id, amount, "payoff")
        raise Invalid("purpose_invalid", "Instalments take purpose instalment or payoff.")

    def settle(
        self, session: Session, payable_id: str, purpose: str, *, now: dt.datetime
    ) -> tuple[Settled, Due]:
        if purpose == "instalment":
            inst = self._instalment(session, payable_id)
            paid = inst.collecting if inst.collecting is not None else contracts.amount_of(inst)
            result = contracts.instalment_received(session, inst, now=now)
            return result, self._due(session, inst.order_id, inst.customer_id, paid, "instalment")
        contract = self._contract(session, payable_id)
        amount = contract.terms.get("payoff", {}).get("amount", "0.00")
        result = contracts.paid_off(session, contract, now=now)
        return result, self._due(session, contract.order_id, contract.customer_id, amount, "payoff")


register(InstalmentPayable())
