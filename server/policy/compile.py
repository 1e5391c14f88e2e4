"""Rule file (AST) -> Policy: sections merged into versions by effective date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from dsl import ast
from server.policy.model import Policy, Version, file_name

_EMPTY = Version(
    effective=date.min,
    title=None,
    pos=ast.Pos("", 0, 0),
    stamping=None,
    pause=None,
    meal_voucher=None,
    half_day=None,
    password=None,
    tolerance=None,
    profiles={},
    codes={},
    allowances={},
    deadlines={},
    flags={},
    fees={},
)

# Whole blocks: a section that declares one replaces the earlier one.
_BLOCKS: dict[type, str] = {
    ast.Stamping: "stamping",
    ast.Pause: "pause",
    ast.MealVoucher: "meal_voucher",
    ast.HalfDay: "half_day",
    ast.PasswordPolicy: "password",
    ast.Tolerance: "tolerance",
    ast.Overtime: "overtime",
    ast.Account: "account",
}


def compile_policy(rule_file: ast.RuleFile) -> Policy:
    """Assumes the file passed `dsl.check`; missing identity falls back to plain defaults."""
    inst = rule_file.institution
    if inst is None:
        raise ValueError(f"{rule_file.path}: no institution block")
    versions: list[Version] = []
    current = _EMPTY
    for section in sorted(rule_file.sections, key=lambda s: s.effective):
        current = _apply(current, section)
        versions.append(current)
    return Policy(
        institution_id=inst.id,
        name=inst.name.value if inst.name else inst.id,
        timezone=inst.timezone.value if inst.timezone else "Europe/Rome",
        holiday_country=inst.holidays.country if inst.holidays else "IT",
        holiday_subdivision=inst.holidays.subdivision if inst.holidays else None,
        file_name=file_name(rule_file.path),
        source=rule_file.source,
        versions=tuple(versions),
        holidays_pos=inst.holidays.pos if inst.holidays else None,
        sources=rule_file.sources,
    )


def _apply(base: Version, section: ast.RulesSection) -> Version:
    blocks: dict[str, object] = {}
    profiles = dict(base.profiles)
    codes = dict(base.codes)
    allowances = dict(base.allowances)
    deadlines = dict(base.deadlines)
    flags = dict(base.flags)
    fees = dict(base.fees)
    shifts = dict(base.shifts)
    leaves = dict(base.leaves)
    for stmt in section.statements:
        if isinstance(stmt, ast.Profile):
            profiles[stmt.name] = stmt
        elif isinstance(stmt, ast.CodeDef):
            codes[stmt.code] = stmt
        elif isinstance(stmt, ast.Allowance):
            allowances[stmt.name] = stmt
        elif isinstance(stmt, ast.Deadlines):
            deadlines.update({d.name: d for d in stmt.items})
        elif isinstance(stmt, ast.Flag):
            flags[stmt.name] = stmt
        elif isinstance(stmt, ast.Fee):
            fees[stmt.name] = stmt
        elif isinstance(stmt, ast.Shift):
            shifts[stmt.name] = stmt
        elif isinstance(stmt, ast.Leave):
            leaves[stmt.name] = stmt
        else:
            blocks[_BLOCKS[type(stmt)]] = stmt
    return replace(
        base,
        effective=section.effective,
        title=section.title,
        pos=section.pos,
        profiles=profiles,
        codes=codes,
        allowances=allowances,
        deadlines=deadlines,
        flags=flags,
        fees=fees,
        shifts=shifts,
        leaves=leaves,
        **blocks,  # type: ignore[arg-type]
    )
