"""VIN rules, on the vininfo library.

China's VIN standard (GB 16735) makes the position-9 check digit mandatory, so a VIN is valid
only when vininfo accepts its form and its check digit. The model-year check is left out:
position 10 may legitimately be a letter vininfo's year rule does not expect.
"""

from __future__ import annotations

from vininfo import Vin
from vininfo.exceptions import ValidationError

from motormall.platform.errors import Invalid

CHECK_CHARS = "0123456789X"


def normalise_vin(raw: str) -> str:
    """The VIN in canonical form, or Invalid with `invalid_vin` / `vin_check_digit`."""
    try:
        vin = Vin(raw)
    except ValidationError as exc:
        raise Invalid("invalid_vin", f"{raw!r} is not a VIN: {exc}") from None
    if not vin.verify_checksum(check_year=False):
        raise Invalid(
            "vin_check_digit",
            f"VIN {vin.num} fails its check digit (position 9); check it for a typing error.",
        )
    return vin.num


def with_check_digit(vin16: str) -> str:
    """Complete a VIN whose position 9 is a placeholder (used to make demo and test VINs)."""
    if len(vin16) != 17:
        raise ValueError("give all 17 characters; position 9 is replaced")
    for digit in CHECK_CHARS:
        candidate = vin16[:8] + digit + vin16[9:]
        if Vin(candidate).verify_checksum(check_year=False):
            return candidate
    raise ValueError(f"no check digit fits {vin16}")
