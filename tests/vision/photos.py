"""The evaluation photos in ../shared/data (tests may read them; the product never ships them)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CARS = DATA / "cars"
FACES = DATA / "faces"


def car(folder: str, n: int) -> Path:
    return CARS / folder / f"{n:03d}.jpg"


def car_bytes(folder: str, n: int) -> bytes:
    return car(folder, n).read_bytes()


def face(person: str, n: int) -> Path:
    return FACES / person / f"{n:03d}.jpg"
