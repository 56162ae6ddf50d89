"""English and Simplified Chinese, with Babel.

Catalogs are the `.po` files under `motormall/locale`, compiled in memory at start-up so there
is no build step to forget. Prices and numbers are formatted per locale by Babel.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = {"en": "English", "zh_Hans": "简体中文"}
BABEL_LOCALE = {"en": "en_US", "zh_Hans": "zh_Hans_CN"}


def N_(message: str) -> str:
    """Mark a string for extraction (babel.cfg's keyword); it is translated where it is shown."""
    return message


DEFAULT = "en"


@lru_cache
def translations(lang: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def pick_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


def money(amount: Decimal, currency: str, lang: str) -> str:
    """268000 CNY → "CN¥268,000" in English, "¥268,000" in Chinese (no cents on car prices)."""
    fmt = "¤#,##0" if amount == amount.to_integral_value() else None
    return format_currency(
        amount, currency, format=fmt, locale=BABEL_LOCALE[lang], currency_digits=fmt is None
    )


def local_time(iso: str, lang: str, timezone: str = "Asia/Shanghai") -> str:
    """An ISO timestamp as a short local date and time in `timezone` (the dealer's)."""
    moment = dt.datetime.fromisoformat(iso)
    return format_datetime(moment, "short", tzinfo=ZoneInfo(timezone), locale=BABEL_LOCALE[lang])


def local_date(value, lang: str) -> str:
    """A calendar date (a `date` or its ISO text) as the reader writes it: "Dec 1, 2026",
    "2026年12月1日"."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return format_date(day, "medium", locale=BABEL_LOCALE[lang])


def number(value, lang: str) -> str:

    return format_decimal(value, locale=BABEL_LOCALE[lang])


def html_lang(lang: str) -> str:
    return "zh-Hans" if lang == "zh_Hans" else "en"


def locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALE[lang])
