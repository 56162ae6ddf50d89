"""Tower test drives: the gate, holding the car in its bay, the face check at release,
return, overdue chasing, and buying the car straight from the drive.
(Being written: see the task of the engineer who owns this file.)"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from motormall.platform.auth import Principal
from motormall.testdrives.models import TestDrive


def book(
    session: Session, who: Principal, vin: str, start: dt.datetime, *, now: dt.datetime
) -> TestDrive:
    raise NotImplementedError
