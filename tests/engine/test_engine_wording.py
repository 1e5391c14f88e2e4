"""Every explanation step and anomaly carries a message id and its arguments that word
exactly its English text, so a page can say it in the reader's language instead."""

from __future__ import annotations

from test_engine_equivalence import day_cases

from server.engine import evaluate_day
from server.engine.notes import word
from server.i18n.catalogues import read_catalogue
from server.policy.load import load_policy


def test_each_step_and_anomaly_has_a_message_id_that_words_its_english() -> None:
    ids = {m.id for m in read_catalogue("it") if m.id}
    seen: set[str] = set()
    for name, schedule, day, stamps, requests in day_cases()[:1500]:
        shown = evaluate_day(load_policy(name), schedule, day, stamps, requests).to_json()
        for step in shown["explain"]:
            if step["message_id"]:
                assert word(step["message_id"], tuple(step["args"])) == step["detail"], step
                seen.add(step["message_id"])
        for anomaly in shown["anomalies"]:
            assert anomaly["message_id"], anomaly
            assert word(anomaly["message_id"], tuple(anomaly.get("args", ()))) == anomaly["message"]
            seen.add(anomaly["message_id"])
    assert len(seen) > 12
    assert seen - {"{}"} <= ids, sorted(seen - ids)
