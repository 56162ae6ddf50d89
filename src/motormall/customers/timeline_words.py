"""What each kind of timeline event is called on a page: `order.deposit_paid` reads as
"Deposit paid" to a person, in their language. The stored names belong to the emitting
domains (their events.py); a kind added there without a word here reads as its domain's
word (tests/customers/test_customer_pages.py lists every event class to keep this complete).
"""

from __future__ import annotations

from motormall.web.i18n import N_

EVENT_WORDS = {
    "catalog.vehicle_viewed": N_("Looked at a car"),
    "customer.registered": N_("Opened an account"),
    "customer.merged": N_("Accounts merged into one"),
    "customer.unmerged": N_("Merge of accounts undone"),
    "membership.joined": N_("Joined the membership"),
    "lead.assigned": N_("Inquiry passed to a dealer"),
    "lead.inquiry_repeated": N_("Asked the dealer again"),
    "lead.contacted": N_("Dealer got in touch"),
    "lead.test_drive_booked": N_("Dealer arranged a test drive"),
    "lead.quoted": N_("Dealer quoted a price"),
    "lead.won": N_("Inquiry turned into a sale"),
    "lead.lost": N_("Inquiry closed without a sale"),
    "lead.note": N_("Dealer noted on the inquiry"),
    "test_drive.booked": N_("Test drive booked"),
    "test_drive.cancelled": N_("Test drive cancelled"),
    "test_drive.rescheduled": N_("Test drive moved"),
    "test_drive.out": N_("Set off on a test drive"),
    "test_drive.returned": N_("Back from a test drive"),
    "test_drive.no_show": N_("Did not come to a test drive"),
    "test_drive.purchased": N_("Ordered the car after a test drive"),
    "order.reserved": N_("Reserved a car"),
    "order.deposit_paid": N_("Order: deposit paid"),
    "order.financing": N_("Order: finance applied for"),
    "order.contracted": N_("Order: contract signed"),
    "order.paid": N_("Order: paid in full"),
    "order.ready_for_handover": N_("Order: ready for handover"),
    "order.handed_over": N_("Car handed over"),
    "order.cancelled": N_("Order cancelled"),
    "order.expired": N_("Order expired unpaid"),
    "order.returned": N_("Car returned"),
    "payment.deposit_received": N_("Deposit received"),
    "payment.balance_received": N_("Balance received"),
    "payment.down_payment_received": N_("Down payment received"),
    "payment.instalment_received": N_("Instalment payment received"),
    "payment.payoff_received": N_("Early repayment received"),
    "payment.refunded": N_("Money refunded"),
    "finance.application_decided": N_("Finance application decided"),
    "finance.application_reviewed": N_("Finance application reviewed"),
    "finance.contract_accepted": N_("Finance contract accepted"),
    "finance.instalment_paid": N_("Instalment paid"),
    "finance.instalment_late": N_("Instalment late"),
    "survey.answered": N_("Answered a survey"),
    "case.opened": N_("Case opened"),
    "case.escalated": N_("Case escalated to the carmaker"),
    "case.resolved": N_("Case resolved"),
    "case.reopened": N_("Case reopened"),
    "service.booked": N_("Service booked"),
    "service.cancelled": N_("Service cancelled"),
    "service.completed": N_("Service done"),
    "service.rescheduled": N_("Service moved"),
}

# A kind without its own word: its domain's word, never the raw name.
DOMAIN_WORDS = {
    "catalog": N_("Catalogue"),
    "customer": N_("Account"),
    "membership": N_("Membership"),
    "lead": N_("Inquiry"),
    "test_drive": N_("Test drive"),
    "order": N_("Order"),
    "payment": N_("Payment"),
    "finance": N_("Finance"),
    "survey": N_("Survey"),
    "case": N_("Case"),
    "service": N_("Service"),
}
OTHER = N_("Other activity")


def event_word(kind: str) -> str:
    """The msgid that names an event kind (translate it with the reader's catalogue)."""
    if kind in EVENT_WORDS:
        return EVENT_WORDS[kind]
    return DOMAIN_WORDS.get(kind.partition(".")[0], OTHER)
