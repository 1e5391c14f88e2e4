"""Every example written inside the four institutions' rule files holds.

The examples quote the seed rule they exercise in their title; this runs each
as its own test case, the same way `timbra rules test` does for an institution.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.engine.examples import run_examples
from server.policy.load import load_rule_file

RULE_FILES = sorted(Path(__file__).resolve().parents[2].glob("plugins/*/*.rules"))
CASES = [
    pytest.param(path, index, id=f"{path.stem}:{example.pos.line}")
    for path in RULE_FILES
    for index, example in enumerate(load_rule_file(path).examples)
]


def test_every_institution_ships_examples() -> None:
    assert {p.stem for p in RULE_FILES} == {"chamber", "university", "school", "academy"}
    for path in RULE_FILES:
        assert load_rule_file(path).examples, f"{path.name} has no examples"


@pytest.mark.parametrize(("path", "index"), CASES)
def test_example(path: Path, index: int) -> None:
    outcome = run_examples(load_rule_file(path))[index]
    assert outcome.passed, f"{outcome.example.name}:\n  " + "\n  ".join(outcome.failures)
