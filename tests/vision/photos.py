"""The evaluation photos in ../shared/data (tests may read them; the product never ships them)."""

from __future__ import annotations

import os
from pathlib import Path


def _data() -> Path:
    """MOTORMALL_EVAL_DATA, else `shared/data` beside the checkout (or beside a parent)."""
    if os.environ.get("MOTORMALL_EVAL_DATA"):
        return Path(os.environ["MOTORMALL_EVAL_DATA"])
    repo = Path(__file__).resolve().parents[2]
    for folder in repo.parents:
        if (folder / "shared" / "data" / "cars").is_dir():
            return folder / "shared" / "data"
    raise RuntimeError(
        f"the evaluation photos (shared/data) are not beside {repo}: "
        "set MOTORMALL_EVAL_DATA to the folder that holds cars/ and faces/"
    )


DATA = _data()
CARS = DATA / "cars"
FACES = DATA / "faces"


def car(folder: str, n: int) -> Path:
    return CARS / folder / f"{n:03d}.jpg"


def car_bytes(folder: str, n: int) -> bytes:
    return car(folder, n).read_bytes()


def face(person: str, n: int) -> Path:
    return FACES / person / f"{n:03d}.jpg"
