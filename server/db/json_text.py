"""How every JSON column's value becomes text: one encoder for the engine's JSON columns
(`make_engine` gives it to SQLAlchemy) and for the bulk writers that hand the database
text themselves (the close's COPY of day results, its entries' accounts).

msgspec's encoder (a dependency already, through Litestar) writes the same JSON as
`json.dumps` in a fraction of its time: the day results' JSON was a sixth of a close's
writes. Non-ASCII characters are written as they are, not escaped."""

from __future__ import annotations

from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder()


def json_text(value: Any) -> str:
    return _ENCODER.encode(value).decode()
