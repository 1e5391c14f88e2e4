"""The wire format: what the server keeps to tell a replay from a conflict, and acks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from terminals.protocol import AckItem, AckMessage, StampMessage, decode_ack, decode_stamp

names = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,39}", fullmatch=True)
badges = st.from_regex(r"[A-Za-z0-9]{1,32}", fullmatch=True)
codes = st.none() | st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True)
stamp_ids = st.from_regex(r"[A-Za-z0-9:._-]{1,64}", fullmatch=True)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
times = st.builds(lambda moment, zone: moment.replace(tzinfo=zone),
                  st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)), offsets)
stamps = st.builds(StampMessage, terminal=names, seq=st.integers(1, 2**63 - 1), id=stamp_ids,
                   badge=badges, time=times, direction=st.sampled_from([None, "in", "out"]),
                   code=codes)


@given(stamps)
def test_the_body_kept_for_replays_is_the_same_text_earlier_versions_stored(
        stamp: StampMessage) -> None:
    """A terminal replaying a stamp stored before an upgrade must get "duplicate", not
    "conflict": the body compared is byte for byte the canonical JSON stored then."""
    received = decode_stamp(stamp.encode())
    canonical = json.dumps(received.to_json(), sort_keys=True, separators=(",", ":"))
    assert received.body() == canonical


def test_an_ack_carries_each_item_with_what_the_terminal_shows() -> None:
    items = (AckItem(7, "stored", "Timbratura registrata / Stamp recorded 08:03"),
             AckItem(8, "rejected", "Badge sconosciuto / Unknown badge", "unknown badge 42"))
    assert decode_ack(AckMessage(items).encode()) == AckMessage(items)
