"""What each kind of notification says, in the reader's language, and where it goes.

Texts are msgids of the translation catalogue (`locale/`), filled with the row's params with
Python's %(name)s placeholders, so a message is written once and read in English or Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

from motormall.web import i18n
from motormall.web.i18n import N_

INBOX, EMAIL, SMS = "inbox", "email", "sms"
# users.locale ("en", "zh-CN") → the catalogue's language
CATALOGUE = {"en": "en", "zh-CN": "zh_Hans"}
LOCALE_OF_LANGUAGE = {v: k for k, v in CATALOGUE.items()}


@dataclass(frozen=True)
class Template:
    title: str
    body: str
    channels: tuple[str, ...] = (INBOX, EMAIL)
    # a message carrying a secret (a reset link) is sent, never kept in the inbox, and its
    # params and link are wiped once it is delivered
    secret: bool = False


TEMPLATES: dict[str, Template] = {
    "welcome": Template(
        N_("Welcome to motormall"),
        N_(
            "Hello %(name)s, your account is ready. Find a car, ask a dealer and follow your "
            "orders here; we will tell you when something needs you."
        ),
    ),
    "password_reset": Template(
        N_("Reset your motormall password"),
        N_(
            "Someone asked to reset the password of your motormall account. Open the link "
            "within %(minutes)s minutes to choose a new one. If it was not you, ignore this "
            "message: your password stays as it is."
        ),
        channels=(EMAIL,),
        secret=True,
    ),
    "password_changed": Template(
        N_("Your password was changed"),
        N_(
            "The password of your motormall account was changed and every session was logged "
            "out. If it was not you, reset your password now and tell us."
        ),
        channels=(INBOX, EMAIL, SMS),
    ),
    "lead_assigned": Template(
        N_("A dealer will contact you"),
        N_(
            "Your inquiry went to %(dealer)s. They will call or write to you soon; you can "
            "also visit them."
        ),
    ),
    "order_reserved": Template(
        N_("The car is held for you"),
        N_(
            "Car %(vin)s is reserved for you. Pay the deposit before the hold ends to keep "
            "it; after that the car goes back on sale."
        ),
    ),
    "test_drive_overdue": Template(
        N_("Your test drive car is due back"),
        N_(
            "Car %(vin)s was due back at the tower at %(due)s (UTC). Bring it back now, or buy "
            "it in the app; after two days a late fee is charged for every day."
        ),
        channels=(INBOX, EMAIL, SMS),
    ),
    "survey_handover": Template(
        N_("How was your handover?"),
        N_(
            "The carmaker asks you directly, not your dealer: tell us in two minutes how "
            "buying and receiving your car went. Your answer goes to the carmaker only."
        ),
    ),
    "survey_service": Template(
        N_("How was your service visit?"),
        N_(
            "The carmaker asks you directly, not your dealer: tell us in two minutes how "
            "your service visit went. Your answer goes to the carmaker only."
        ),
    ),
    "survey_test_drive": Template(
        N_("How was your test drive?"),
        N_(
            "The carmaker asks you directly, not your dealer: tell us in two minutes how "
            "your test drive went. Your answer goes to the carmaker only."
        ),
    ),
    # after-sales (aftersales/reminders.py, aftersales/recalls.py)
    "service_reminder": Template(
        N_("Your service visit is tomorrow"),
        N_(
            "Your car %(vin)s is expected at %(dealer)s on %(when)s (local time). Need another "
            "time? Reschedule or cancel from your service bookings."
        ),
        channels=(INBOX, EMAIL, SMS),
    ),
    "maintenance_due_time": Template(
        N_("Your car is due for maintenance"),
        N_(
            "It has been a year since car %(vin)s was last maintained. Book a maintenance "
            "visit at a dealer of your choice."
        ),
    ),
    "maintenance_due_mileage": Template(
        N_("Your car is due for maintenance"),
        N_(
            "Car %(vin)s has driven %(km)s km since its last maintenance. Book a maintenance "
            "visit at a dealer of your choice."
        ),
    ),
    "recall_notice": Template(
        N_("A recall for your car"),
        N_(
            "The carmaker recalls car %(vin)s: %(title)s. The repair is free; book a recall "
            "visit at a dealer of your choice."
        ),
        channels=(INBOX, EMAIL, SMS),
    ),
    "survey_case": Template(
        N_("Was your problem solved?"),
        N_(
            "Your dealer marked your case as resolved. The carmaker asks you directly: was it "
            "really solved? If not, we reopen it."
        ),
    ),
    "order_handed_over": Template(
        N_("Enjoy your new car"),
        N_(
            "Car %(vin)s is yours. Your dealer looks after it from now on: book service and "
            "find your documents here."
        ),
    ),
    # finance: instalments (finance/collections.py)
    "instalment_failed": Template(
        N_("Your instalment could not be collected"),
        N_(
            "We could not collect instalment %(n)s (%(amount)s CNY) through your debit "
            "mandate. We will try again; make sure the account has the money."
        ),
        channels=(INBOX, EMAIL, SMS),
    ),
    "instalment_late": Template(
        N_("Your instalment is late"),
        N_("Instalment %(n)s is overdue: a late fee of %(fee)s CNY was added to it."),
        channels=(INBOX, EMAIL, SMS),
    ),
    "contract_in_collections": Template(
        N_("Your finance contract needs attention"),
        N_(
            "Instalment %(n)s failed several times and your contract was passed to our "
            "collections team. Pay now or contact us to agree a plan."
        ),
        channels=(INBOX, EMAIL, SMS),
    ),
    "refund_sent": Template(
        N_("Your money is on its way back"),
        N_("We returned %(amount)s CNY to the account you paid from."),
        channels=(INBOX, EMAIL, SMS),
    ),
}

# marketing offers: one kind per channel, so a message goes only where the customer said yes
# (and always to the inbox, where "opened" is counted)
_COUPON_OFFER = (
    N_("A member offer for you"),
    N_(
        "%(campaign)s: use coupon %(code)s at checkout for %(discount)s %(currency)s off a "
        "%(brand)s car, until %(until)s. Unsubscribe with the link in this message."
    ),
)
_POINTS_OFFER = (
    N_("More points for you"),
    N_(
        "%(campaign)s: earn %(factor)s times the points on %(brand)s, until %(until)s. "
        "Unsubscribe with the link in this message."
    ),
)
for _channel in (INBOX, EMAIL, SMS):
    _reach = (INBOX,) if _channel == INBOX else (INBOX, _channel)
    TEMPLATES[f"campaign_coupon_{_channel}"] = Template(*_COUPON_OFFER, channels=_reach)
    TEMPLATES[f"campaign_points_{_channel}"] = Template(*_POINTS_OFFER, channels=_reach)


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def language_of(locale: str | None) -> str:
    return CATALOGUE.get(locale or "", i18n.DEFAULT)


def render(kind: str, params: dict, lang: str) -> Rendered:
    """The message in `lang` (a catalogue language: "en", "zh_Hans")."""
    template = TEMPLATES[kind]
    tr = i18n.translations(lang)
    try:
        body = tr.gettext(template.body) % params
    except (KeyError, TypeError, ValueError):  # a wiped secret message, or old params
        body = tr.gettext(template.title)
    return Rendered(tr.gettext(template.title), body)
