"""The ack's committed sequence on the wire: round trip, old payloads, bad values refused."""

from __future__ import annotations

import json

import pytest

from terminals.protocol import MAX_SEQ, AckItem, AckMessage, ProtocolError, decode_ack


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
