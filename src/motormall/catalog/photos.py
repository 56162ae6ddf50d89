"""Listing photos: dealers' own photos of a car in stock, and generated ones (one per trim
and colour, drawn on first request) for every car; all kept in the file store
(platform/files.py: `var/media`, or a bucket). The product ships no photographs."""

from __future__ import annotations

import io
import re

from PIL import Image, ImageDraw, ImageFont

from motormall.platform.files import Files

COLOURS = {
    "alpine white": (236, 236, 232),
    "white": (236, 236, 232),
    "black": (22, 22, 26),
    "black sapphire": (18, 20, 30),
    "carbon black": (20, 24, 40),
    "mineral grey": (96, 100, 104),
    "grey": (110, 112, 116),
    "silver": (178, 182, 186),
    "glacier silver": (190, 194, 198),
    "portimao blue": (18, 70, 160),
    "blue": (30, 80, 170),
    "phytonic blue": (40, 70, 110),
    "red": (176, 20, 30),
    "melbourne red": (120, 16, 24),
    "chili red": (190, 30, 30),
    "race red": (200, 24, 24),
    "green": (30, 90, 60),
    "british racing green": (16, 56, 40),
    "orange": (226, 110, 20),
    "yellow": (230, 190, 40),
    "brown": (100, 70, 50),
}


PHOTO_FILE = re.compile(r"^[0-9a-f]{32}\.jpg$")


def add_vehicle_photo(session, files: Files, vehicle, image: Image.Image, digest: str):
    """Keep a dealer's photo of `vehicle` (an upright RGB image), re-encoded as JPEG, so no
    metadata of the original (camera, place) is published; the same photo twice is kept once."""
    from motormall.catalog.models import VehiclePhoto

    name = f"{digest[:32]}.jpg"
    if not files.exists(f"photos/{name}"):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=88)
        files.put(f"photos/{name}", out.getvalue(), "image/jpeg")
    if not any(p.file == name for p in vehicle.photos):
        vehicle.photos.append(VehiclePhoto(file=name))
        vehicle.cover_photo = vehicle.cover_photo or name
        session.flush()
    return name


def dealer_photo_url(name: str) -> str:
    return f"/media/photos/{name}"


def slug(colour: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", colour.lower()).strip("-") or "colour"


def listing_photo_url(trim_id: int, colour: str) -> str:
    return f"/media/listings/{trim_id}/{slug(colour)}.png"


def rgb(colour: str) -> tuple[int, int, int]:
    key = colour.lower().replace("-", " ")
    if key in COLOURS:
        return COLOURS[key]
    for name, value in COLOURS.items():
        if name in key or key in name:
            return value
    return (140, 140, 140)


def render(*, colour: str, title: str, subtitle: str, body_type: str) -> bytes:
    """Draw a side view of a car of `body_type` in `colour`, as PNG."""
    w, h = 800, 500
    img = Image.new("RGB", (w, h), (244, 245, 247))
    d = ImageDraw.Draw(img)
    for y in range(h // 2, h):  # floor gradient
        shade = 244 - int((y - h / 2) / (h / 2) * 40)
        d.line([(0, y), (w, y)], fill=(shade, shade, shade + 2))
    paint = rgb(colour)
    tall = body_type in {"suv", "mpv", "van", "pickup"}
    roof = 170 if tall else 205
    body = [
        (90, 330),
        (100, 270),
        (180, 250),
        (260, roof),
        (520, roof),
        (610, 250),
        (700, 262),
        (715, 330),
    ]
    if body_type in {"coupe", "convertible"}:
        body = [
            (90, 330),
            (100, 275),
            (200, 255),
            (300, 215),
            (470, 212),
            (580, 255),
            (705, 270),
            (715, 330),
        ]
    if body_type == "hatchback":
        body = [
            (110, 330),
            (115, 265),
            (170, 250),
            (250, 200),
            (560, 196),
            (640, 250),
            (690, 265),
            (700, 330),
        ]
    d.polygon(body, fill=paint, outline=(40, 40, 40))
    glass = (60, 80, 100)
    top = body[3][1] + 12
    d.polygon([(275, top), (390, top), (390, 248), (215, 252)], fill=glass)
    d.polygon([(405, top), (505, top), (585, 248), (405, 248)], fill=glass)
    for cx in (210, 590):
        d.ellipse([cx - 52, 278, cx + 52, 382], fill=(28, 28, 30))
        d.ellipse([cx - 26, 304, cx + 26, 356], fill=(170, 172, 176))
    d.ellipse([120, 372, 690, 396], fill=(200, 200, 204))
    font = ImageFont.load_default(size=34)
    small = ImageFont.load_default(size=22)
    d.text((40, 30), title, fill=(20, 20, 24), font=font)
    d.text((40, 76), subtitle, fill=(90, 90, 96), font=small)
    d.text((40, 460), "Illustration - the car itself may differ", fill=(140, 140, 146), font=small)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
