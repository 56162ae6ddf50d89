"""Chinese resident identity numbers (GB 11643-1999), checked without a database or a clock.

    6 digits  region (administrative division code; at least its province part is set)
    8 digits  date of birth, YYYYMMDD
    3 digits  sequence (odd: male, even: female)
    1 char    check character: ISO 7064 MOD 11-2 over the first 17 digits, 0-9 or X (= 10)

Only the form is checked: a number that passes may still belong to nobody. The region is not
looked up in a list of divisions (they change; old numbers keep old codes), only required to
start with a non-zero province digit and hold at least two non-zero digits, which catches
numbers typed from the wrong end or padded with zeros.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from motormall.platform.errors import Invalid

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
EARLIEST_BIRTH = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalised: 18 characters, a final x upper-cased
    birth_date: dt.date

    @property
    def last4(self) -> str:
        return self.number[-4:]


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(text: str) -> str:
    """Spaces and dashes people type are dropped; a lower-case x is the same as X."""
    return "".join(c for c in text.strip() if c not in " -\u3000").upper()


def parse_resident_id(text: str, *, today: dt.date) -> ResidentId:
    """A valid resident ID number, or Invalid `invalid_id_number` saying what is wrong."""
    number = normalise(text)
    if len(number) != 18:
        raise Invalid(
            "invalid_id_number",
            "A resident ID number has 18 characters.",
            reason="length",
        )
    if not number[:17].isdigit() or not number[:17].isascii():
        raise Invalid(
            "invalid_id_number",
            "The first 17 characters of an ID number are digits.",
            reason="characters",
        )
    if number[17] not in "0123456789X":
        raise Invalid(
            "invalid_id_number",
            "The last character of an ID number is a digit or X.",
            reason="characters",
        )
    region = number[:6]
    if region[0] == "0" or sum(c != "0" for c in region) < 2:
        raise Invalid(
            "invalid_id_number",
            "The ID number does not start with a region code.",
            reason="region",
        )
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born < EARLIEST_BIRTH or born > today:
        raise Invalid(
            "invalid_id_number",
            "The date of birth in the ID number is not a real date.",
            reason="birth_date",
        )
    if check_char(number[:17]) != number[17]:
        raise Invalid(
            "invalid_id_number",
            "The ID number's check character is wrong; check it for a typing mistake.",
            reason="check_character",
        )
    return ResidentId(number=number, birth_date=born)


def masked(last4: str) -> str:
    """How a number on file is shown: only its last four characters."""
    return "*" * 14 + last4
