"""Hook specifications: everything a timbra plugin may implement.

Hooks are grouped by the moment in the lifecycle when the core calls them. Every hook is
documented in docs/plugins.md; tests/test_hookspecs.py keeps the two in step.
"""

import pluggy

from server.institutions import InstitutionSpec

hookspec = pluggy.HookspecMarker("timbra")
hookimpl = pluggy.HookimplMarker("timbra")


# --- Registration ---------------------------------------------------------------------------
# Called when the plugin manager is built, before any month is evaluated.


@hookspec
def timbra_institutions() -> list[InstitutionSpec]:
    """Return the institutions this plugin provides.

    Each institution id must be unique across all installed plugins; a duplicate makes
    :func:`server.plugins.institutions` raise :class:`server.plugins.PluginError`.
    """
