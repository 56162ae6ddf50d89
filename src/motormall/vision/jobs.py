"""Vision's background work: train the recognition head right after references change, so
the next buyer's photo search does not wait for it (the embedded default runs jobs in the
server's own process; a separate worker warms only its own copy, which is harmless)."""

from __future__ import annotations

from motormall.platform.db import get_database
from motormall.platform.jobs import task
from motormall.vision import service


@task("vision.train_head")
def train_head() -> str:
    with get_database().reading() as session:
        return "trained" if service.head(session) is not None else "no references"
