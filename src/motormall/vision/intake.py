"""Image intake shared by photo search and face checks: every upload is checked by content
and size before it is decoded, turned upright (EXIF), converted to RGB and scaled down.

Refusals are 422 with a stable code: `empty_file`, `image_too_large` (bytes),
`not_an_image`, `unsupported_image_format`, `image_too_many_pixels` (a decompression bomb,
or a PNG/WebP too large to decode whole: refused from the header, before any pixel is
decoded), `corrupt_image` (e.g. a truncated JPEG).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from motormall.platform.errors import Invalid

FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo is fine; a 100k × 100k PNG is not
# What may actually be decoded: a JPEG decodes at 1/2..1/8 scale (draft), so any JPEG under
# MAX_PIXELS passes, but PNG and WebP decode at full size. A 115 KB all-black 6300 × 6300 PNG
# cost 330 MB and seconds; 10 MP is at most 40 MB (RGBA) and a 4K frame still fits.
MAX_DECODED_PIXELS = 10_000_000
MAX_SIDE = 1024  # what the models need, and it keeps decoding cheap


@dataclass(frozen=True)
class Photo:
    image: Image.Image  # RGB, upright, longest side <= max_side
    format: str
    original_size: tuple[int, int]


def load(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_decoded_pixels: int = MAX_DECODED_PIXELS,
    max_side: int = MAX_SIDE,
) -> Photo:
    """Check and decode an uploaded photo; raises Invalid with a stable code."""
    if not data:
        raise Invalid("empty_file", "The file is empty; choose a photo.")
    if len(data) > max_bytes:
        raise Invalid(
            "image_too_large",
            f"The photo is over {max_bytes // (1024 * 1024)} MB; send a smaller one.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))  # reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(
            "image_too_many_pixels", "The image claims far too many pixels; send an ordinary photo."
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise Invalid(
            "not_an_image", "This file is not a photo we can read (JPEG, PNG or WebP)."
        ) from None
    if probe.format not in FORMATS:
        raise Invalid(
            "unsupported_image_format",
            f"{probe.format} images are not accepted; send a JPEG, PNG or WebP.",
        )
    width, height = probe.size
    if width * height > max_pixels or width < 1 or height < 1:
        raise Invalid(
            "image_too_many_pixels",
            f"The image claims {width} × {height} pixels; at most "
            f"{max_pixels // 1_000_000} megapixels are accepted.",
        )
    kind = probe.format
    probe.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale
    decoded_w, decoded_h = probe.size
    if decoded_w * decoded_h > max_decoded_pixels:
        raise Invalid(
            "image_too_many_pixels",
            f"The image is {width} × {height} pixels; send a JPEG, or a PNG or WebP of at most "
            f"{max_decoded_pixels // 1_000_000} megapixels.",
        )
    try:
        probe.load()
        if probe.mode not in {"RGB", "RGBA", "L"}:
            probe = probe.convert("RGB")  # palette, 16-bit, CMYK: resampling needs real colours
        # shrink first, in place, so the copies made below are of a small image
        probe.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        image = ImageOps.exif_transpose(probe).convert("RGB")
    except (OSError, ValueError, SyntaxError):
        raise Invalid(
            "corrupt_image", "The photo is damaged or cut short; take it again."
        ) from None
    return Photo(image=image, format=kind, original_size=(width, height))
