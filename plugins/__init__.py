"""Institution plugins shipped with timbra, one subpackage each.

The core never imports these by name: each is registered under the ``timbra`` entry-point
group in pyproject.toml and found the same way as a plugin installed with pip.
"""
