"""Record ids as the API takes them: one bounded type for every path, query and body field.

Tables use 32-bit INTEGER keys (PostgreSQL's `integer`), so an id outside 1..2**31-1 can match
no row; refusing it as 422 here keeps it from reaching the driver, where it would overflow."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, TypeAdapter, ValidationError

MAX_ID = 2**31 - 1

RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]

_adapter = TypeAdapter(RecordId)


def parse_id(value: object) -> int:
    """A record id from text (a page's form or query string); ValueError when it is not one."""
    try:
        return _adapter.validate_python(value, strict=False)
    except ValidationError as exc:
        raise ValueError(f"{value!r} is not a record id") from exc
