"""What pytest does not offer publicly: whether an ini option was set, and
pytest's ``py.path`` type for ``tmpdir``."""

from pathlib import Path
from typing import Any

__all__ = ["ini_is_set", "legacy_path"]


def ini_is_set(config: Any, name: str) -> bool:
    """Whether the user set the ini option ``name`` (file or ``-o``), rather
    than pytest's default applying."""
    values = getattr(config, "_inicfg", None)  # pytest 9: -o included
    if values is not None:
        return name in values
    overrides = getattr(config, "_override_ini", ()) or ()  # pytest 7-8
    return name in config.inicfg or any(
        override.partition("=")[0].strip() == name for override in overrides
    )


def legacy_path(path: Path) -> Any:
    """Return ``path`` as the ``py.path.local`` ``tmpdir`` gives."""
    from _pytest.compat import legacy_path as make

    return make(path)
