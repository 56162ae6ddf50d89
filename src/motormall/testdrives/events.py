"""What the test-drive domain announces. Segments read `test_drive.returned` and analytics
counts `test_drive.booked`: keep those names."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class DriveEvent(Event):
    """Base: `dealer_ids` holds the dealer whose car it is; `entity_id` the drive's id."""

    entity_type = "test_drive"

    kind: str  # dealer | tower
    vin: str
    model_id: int


def _event(name: str, type_: str, doc: str) -> type[DriveEvent]:
    cls = dataclass(frozen=True, kw_only=True)(type(name, (DriveEvent,), {}))
    cls.type = type_
    cls.__doc__ = doc
    cls.__test__ = False  # "Test..." names: not pytest classes
    return cls


TestDriveBooked = _event("TestDriveBooked", "test_drive.booked", "A drive was booked.")
TestDriveCancelled = _event("TestDriveCancelled", "test_drive.cancelled", "Cancelled.")
TestDriveRescheduled = _event("TestDriveRescheduled", "test_drive.rescheduled", "Moved.")
TestDriveOut = _event("TestDriveOut", "test_drive.out", "Checked out, or released at a tower.")
TestDriveReturned = _event("TestDriveReturned", "test_drive.returned", "The car came back.")
TestDriveNoShow = _event("TestDriveNoShow", "test_drive.no_show", "The customer did not come.")
TestDrivePurchased = _event(
    "TestDrivePurchased", "test_drive.purchased", "Turned into an order for the same car."
)
