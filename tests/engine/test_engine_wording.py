"""Every explanation step and anomaly carries a message id and its arguments that word
exactly its English text, so a page can say it in the reader's language instead."""

from __future__ import annotations

from string import Formatter

from test_engine_equivalence import day_cases

from dsl.vocabulary import DEADLINES
from server.engine import evaluate_day
from server.engine.account import M_LEAVE  # noqa: F401  (registers its plural)
from server.engine.leave import E_CARRIED, E_CONTRACT, E_CONTRACTED
from server.engine.notes import DEADLINE_STEPS, word, worded
from server.i18n.catalogues import read_catalogue
from server.i18n.current import PLURALS
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


def test_a_count_is_said_in_the_form_it_asks_for_in_each_language() -> None:
    """"1 months of 2026 under contract" and "1 mesi": a step that counts is marked with its
    plural (`Nn_`); a lone half reads as half a day, 1½ as a plural."""
    cases = [((1, 2026), "1 month of 2026 under contract", "1 mese del 2026 sotto contratto"),
             ((10, 2026), "10 months of 2026 under contract", "10 mesi del 2026 sotto contratto")]
    for args, english, italian in cases:
        assert word(E_CONTRACT, args) == english == worded(E_CONTRACT, args, "en")
        assert worded(E_CONTRACT, args, "it") == italian
    for count, english, italian in [("½", "½ day", "½ giorno"), ("1", "1 day", "1 giorno"),
                                     ("1½", "1½ days", "1½ giorni"), (2, "2 days", "2 giorni")]:
        assert word(E_CONTRACTED, (count,)).endswith(f": {english}")
        assert worded(E_CONTRACTED, (count,), "it").endswith(f": {italian}")
    assert worded(E_CARRIED, ("1", 2025, "2026-04-30"), "it") == (
        "1 giorno residuo del 2025, fruibile fino al 30 aprile 2026")


def test_each_plural_of_the_catalogue_fills_the_fields_of_its_message_id() -> None:
    """A form that lost or gained a field would fall back to English on the page."""
    def specs(text: str) -> list[str]:
        return [spec for _, name, spec, _ in Formatter().parse(text) if name is not None]

    plurals = [m for m in read_catalogue("it") if m.pluralizable and m.id[0] in PLURALS]
    assert len(plurals) >= 14
    for m in plurals:
        assert PLURALS[m.id[0]] == m.id[1]
        assert all(specs(form) == specs(m.id[0]) == specs(m.id[1]) for form in m.string), m.id
        assert "n" in specs(m.id[0]), m.id


def test_each_deadline_the_month_lists_is_worded() -> None:
    assert set(DEADLINE_STEPS) == DEADLINES - {"missed_stamp"}
    assert worded(DEADLINE_STEPS["negative_balance"], ("2025-05-31",), "it") == (
        "saldo negativo da recuperare entro il 31 maggio 2025")
