"""Plugin manager: hook specifications, the core's default plugins and installed ones."""

import functools
import importlib
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path

import pluggy

from server import hookspecs
from server.hookspecs import hookimpl
from server.institutions import InstitutionSpec

ENTRY_POINT_GROUP = "timbra"

# Core modules that implement hooks by default. Built-in behaviour goes through the same
# hooks as plugins, so an institution can wrap or replace it the same way. Named, not
# imported, here: they sit above this module (server.policy.load asks the plugin manager).
DEFAULT_PLUGINS: tuple[str, ...] = ("server.policy.load", "server.days.schedules")


class PluginError(Exception):
    """A plugin is invalid or conflicts with another plugin."""


def make_plugin_manager(
    *, load_entry_points: bool = True, extra_plugins: Iterable[object] = ()
) -> pluggy.PluginManager:
    """Build a fresh, validated plugin manager.

    ``extra_plugins`` are registered before validation, so tests (and embedders) get the
    same checks as installed plugins.
    """
    pm = pluggy.PluginManager("timbra")
    pm.add_hookspecs(hookspecs)
    try:
        for name in DEFAULT_PLUGINS:
            pm.register(importlib.import_module(name), name)
        if load_entry_points:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for plugin in extra_plugins:
            pm.register(plugin)
        # A misspelled hook name would otherwise be silently ignored; registering has
        # already refused an implementation that asks for arguments its hook does not give.
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        known = ", ".join(sorted(hookspec_names()))
        raise PluginError(f"{exc}; known hooks: {known}") from exc
    return pm


@functools.cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with every installed plugin loaded."""
    return make_plugin_manager()


def institutions(pm: pluggy.PluginManager | None = None) -> dict[str, InstitutionSpec]:
    """Every institution provided by the registered plugins, by id."""
    if pm is None:
        pm = get_plugin_manager()
    found: dict[str, InstitutionSpec] = {}
    for specs in pm.hook.timbra_institutions():
        for spec in specs:
            if (other := found.get(spec.id)) is not None:
                raise PluginError(
                    f"institution id {spec.id!r} is provided twice: by plugin "
                    f"{other.plugin} {other.version} and by plugin {spec.plugin} {spec.version}"
                )
            found[spec.id] = spec
    return found


def installed_plugins(pm: pluggy.PluginManager | None = None) -> list[tuple[str, str]]:
    """(plugin name, distribution version) of each plugin loaded from an entry point."""
    if pm is None:
        pm = get_plugin_manager()
    return sorted(
        (pm.get_name(plugin) or repr(plugin), str(dist.version))
        for plugin, dist in pm.list_plugin_distinfo()
    )


def institution_plugin(
    *, id: str, name: str, rule_file: Path, plugin: str, distribution: str
) -> Callable[[], list[InstitutionSpec]]:
    """The ``timbra_institutions`` hook of a plugin that provides one institution.

    Assign the result to ``timbra_institutions`` in the plugin's module. The version is read
    from ``distribution`` when the hook is called, so it is the one actually installed.
    """

    @hookimpl
    def timbra_institutions() -> list[InstitutionSpec]:
        return [InstitutionSpec(id=id, name=name, rule_file=rule_file, plugin=plugin,
                                version=version(distribution))]

    return timbra_institutions


def hookspec_names() -> list[str]:
    """The name of every hook a plugin may implement, in the order they are declared."""
    # pluggy marks each specification with a "<project>_spec" attribute.
    return [name for name, obj in vars(hookspecs).items() if hasattr(obj, "timbra_spec")]
