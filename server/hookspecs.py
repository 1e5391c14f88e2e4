"""Hook specifications: everything a timbra plugin may implement.

Hooks are grouped by the moment in the lifecycle when the core calls them. Every hook is
documented in docs/plugins.md and has a test; tests/plugins/test_hookspecs.py checks all three.
The core's own defaults are plugins too (``server.plugins.DEFAULT_PLUGINS``), so a plugin
replaces a default the same way it adds anything else.
"""

import pluggy

from dsl.ast import RuleFile
from server.institutions import InstitutionSpec

hookspec = pluggy.HookspecMarker("timbra")
hookimpl = pluggy.HookimplMarker("timbra")


# --- Registration ---------------------------------------------------------------------------
# Called whenever the core lists the installed institutions, before anything is computed.


@hookspec
def timbra_institutions() -> list[InstitutionSpec]:
    """Return the institutions this plugin provides.

    Every plugin's answer is collected. Each institution id must be unique across all
    installed plugins; a duplicate makes :func:`server.plugins.institutions` raise
    :class:`server.plugins.PluginError` naming both plugins.
    """


# --- Loading an institution's rules ---------------------------------------------------------
# Called once per institution and process, the first time its installed policy is needed.


@hookspec(firstresult=True)
def timbra_rule_file(spec: InstitutionSpec) -> RuleFile | None:
    """Return the parsed and checked rule file of ``spec``, or ``None`` to leave it to others.

    The first answer that is not ``None`` wins. The core's default (``server.policy.load``,
    registered ``trylast``) parses ``spec.rule_file`` and checks it; a plugin implements this
    hook only to give a rule file from somewhere else. Whatever the answer, its
    ``institution`` block must match ``spec.id`` and ``spec.name``, or loading the policy
    raises :class:`dsl.errors.RuleError` naming both.
    """
