"""The retained `config` a terminal reads: its institution's code table in force today."""

from __future__ import annotations

from datetime import date

from server.policy.model import Policy
from terminals.protocol import ConfigMessage, KeypadCode


def keypad_config(policy: Policy, day: date) -> ConfigMessage:
    version = policy.version_on(day)
    codes = tuple(
        KeypadCode(code, definition.label.value if definition.label else code)
        for code, definition in sorted(version.codes.items())
        # Only the codes the rules let people type at a terminal.
        if definition.entered is None or "terminal" in definition.entered.value
    )
    stamping = version.stamping
    direction = stamping.direction.value if stamping and stamping.direction else "keys"
    swipe = stamping.double_swipe.value * 60 if stamping and stamping.double_swipe else 0
    return ConfigMessage(institution=policy.institution_id, name=policy.name,
                         rules_from=version.effective.isoformat(), direction=direction,
                         double_swipe_s=swipe, codes=codes)
