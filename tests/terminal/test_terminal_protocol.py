"""The wire format: what the server keeps to tell a replay from a conflict, and acks
with the committed sequence (round trip, old payloads, bad values refused)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminals.protocol import (
    MAX_SEQ,
    AckItem,
    AckMessage,
    ProtocolError,
    StampMessage,
    decode_ack,
    decode_stamp,
)

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


def test_an_ack_with_the_committed_sequence_and_no_items_round_trips() -> None:
    message = AckMessage(committed_seq=300)
    assert json.loads(message.encode()) == {"v": 1, "items": [], "committed_seq": 300}
    assert decode_ack(message.encode()) == message
    assert decode_ack(AckMessage(committed_seq=0).encode()).committed_seq == 0
    assert decode_ack(AckMessage(committed_seq=MAX_SEQ).encode()).committed_seq == MAX_SEQ


def test_an_ack_of_stamps_is_the_same_on_the_wire_as_before() -> None:
    message = AckMessage((AckItem(7, "stored", "Timbratura registrata"),))
    assert "committed_seq" not in json.loads(message.encode())
    old = b'{"v": 1, "items": [{"seq": 7, "status": "stored", "display": "ok"}]}'
    assert decode_ack(old) == AckMessage((AckItem(7, "stored", "ok"),), None)
    assert decode_ack(b'{"v": 1, "items": [], "committed_seq": null}').committed_seq is None


@pytest.mark.parametrize("bad", ["-1", "1.5", "true", '"300"', "[300]", str(MAX_SEQ + 1)])
def test_a_committed_sequence_that_is_not_a_sequence_is_refused(bad: str) -> None:
    with pytest.raises(ProtocolError, match="committed_seq"):
        decode_ack(f'{{"v": 1, "items": [], "committed_seq": {bad}}}'.encode())
