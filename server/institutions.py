"""What a plugin declares about an institution it provides."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class InstitutionSpec:
    """One institution: its identity, its rule files and the plugin it came from.

    Attributes:
        id: Stable identifier used in configuration, URLs and the database (``"school"``).
        name: Human-readable name, as the institution writes it.
        rules: Rule files (``.rules``) that make up the institution's policy.
        plugin: Name of the plugin that provides it, so errors and reports can say
            where an institution came from.
        version: Version of the distribution that ships the plugin.
    """

    id: str
    name: str
    rules: tuple[Path, ...]
    plugin: str
    version: str
