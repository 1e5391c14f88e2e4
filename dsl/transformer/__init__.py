"""Lark parse tree -> frozen dataclasses of `dsl.ast`, checking closed word lists.

Written as a small tree walker rather than a `lark.Transformer` so every
method is typed; problems are collected, not raised, so one run reports them all.
One module per group of blocks, each a mixin over `Walker`; `ToAst` joins them.
"""

from dsl.transformer.literals import clock_of, minutes_of, unquote
from dsl.transformer.rule_file import ToAst

__all__ = ["ToAst", "clock_of", "minutes_of", "unquote"]
