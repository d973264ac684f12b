"""Options: constructor argument > environment > project file > default.

Every value is parsed and checked here, so that a bad value raises
:class:`~fixturestmp.ConfigError` before anything on disk is touched.
"""

import configparser
import difflib
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fixturestmp._process.envvars import (
    ADOPT_ENV,
    ENV_PREFIX,
    PER_TEST_ENV,
    SESSION_ENV,
    env_name,
)
from fixturestmp.errors import ConfigError
from fixturestmp.policy import RetentionPolicy

__all__ = [
    "DEFAULTS",
    "ENV_PREFIX",
    "LEAK_CHECK_NAMES",
    "UnknownVariableWarning",
    "check_all",
    "check_environment",
    "env_name",
    "file_settings",
    "known_env_names",
    "parse_size",
    "resolve",
]


LEAK_CHECK_NAMES = ("environ", "fds", "files", "memory", "processes", "threads")

DEFAULTS: dict[str, Any] = {
    "retention_policy": RetentionPolicy.FAILED,
    "retention_count": 3,
    "root": None,
    "basetemp": None,
    "leak_checks": (),
    "memory_leak_limit": 10 * 1024 * 1024,
    "leak_action": "report",
    "pytest_tmp_path": False,
}

# ASCII digits only: Python's int() and float() also take other scripts'
# digits (a full-width three reads as 3), which a typo should not pass as.
_SIZE = re.compile(
    r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE | re.ASCII
)
_COUNT = re.compile(r"^[0-9]+$", re.ASCII)
_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kb": 1000, "kib": 1024,
    "m": 1024**2, "mb": 1000**2, "mib": 1024**2,
    "g": 1024**3, "gb": 1000**3, "gib": 1024**3,
}  # fmt: skip


# Read by fixturestmp besides the options' own: the session a process joins,
# and the start-up hook's.
_OTHER_ENV_NAMES = (SESSION_ENV, ADOPT_ENV, PER_TEST_ENV)


class UnknownVariableWarning(UserWarning):
    """A ``FIXTURESTMP_*`` environment variable that fixturestmp never reads."""


def known_env_names() -> tuple[str, ...]:
    """Return every ``FIXTURESTMP_*`` environment variable fixturestmp reads."""
    return tuple(sorted({*map(env_name, DEFAULTS), *_OTHER_ENV_NAMES}))


_env_checked = False


def check_environment() -> None:
    """Warn of each ``FIXTURESTMP_*`` variable fixturestmp does not know.

    A misspelt name (a letter left out of ``FIXTURESTMP_RETENTION_POLICY``)
    would otherwise be ignored without a word, as if the setting were made.
    Once a process: the first :func:`resolve` calls it, and the command
    line at its start.
    """
    global _env_checked
    if _env_checked:
        return
    _env_checked = True
    known = known_env_names()
    for name in sorted(os.environ):
        if not name.startswith(ENV_PREFIX) or name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = (
            f"did you mean {close[0]}?" if close else "known names: " + ", ".join(known)
        )
        warnings.warn(
            f"fixturestmp: unknown environment variable {name}, ignored; {hint}",
            UnknownVariableWarning,
            stacklevel=3,
        )


def _parse_policy(raw: Any) -> RetentionPolicy:
    if isinstance(raw, RetentionPolicy):
        return raw
    if not isinstance(raw, str):
        raise ValueError("use one of: all, failed, none")
    try:
        return RetentionPolicy(raw.strip().lower())
    except ValueError:
        raise ValueError("use one of: all, failed, none") from None


def _parse_count(raw: Any) -> int:
    allowed = "use a whole number of sessions, 0 or more, in digits 0-9"
    if isinstance(raw, bool):
        raise ValueError(allowed)
    if isinstance(raw, int):
        value = raw
    elif _COUNT.match(text := str(raw).strip()):
        value = int(text)
    else:
        raise ValueError(allowed)
    if value < 0:
        raise ValueError(allowed)
    return value


def _parse_root(raw: Any) -> Path:
    path = _parse_path(raw)
    if not path.is_dir():
        raise ValueError(
            "it is not an existing directory; create it or choose another root"
        )
    return path


def _parse_path(raw: Any) -> Path:
    if not isinstance(raw, (str, os.PathLike)):
        raise ValueError("use a directory path")
    text = os.fspath(raw)
    if not isinstance(text, str) or not text.strip() or "\0" in text:
        raise ValueError("use a directory path")
    return Path(text).expanduser().absolute()


def _parse_checks(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        items: Iterable[Any] = re.split(r"[\s,]+", raw.strip())
    elif isinstance(raw, (list, tuple, set, frozenset)):
        items = raw
    else:
        raise ValueError(
            "use check names separated by commas, from: "
            + ", ".join(LEAK_CHECK_NAMES)
            + " (or all, none)"
        )
    names: list[str] = []
    for item in items:
        name = str(item).strip().lower()
        if not name or name == "none":
            continue
        if name == "all":
            names.extend(LEAK_CHECK_NAMES)
            continue
        if name not in LEAK_CHECK_NAMES:
            raise ValueError(
                f"unknown check {name!r}; use names from: "
                + ", ".join(LEAK_CHECK_NAMES)
                + " (or all, none)"
            )
        names.append(name)
    return tuple(dict.fromkeys(names))


def _parse_size(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("use a size such as 10MiB, 50MB or 1048576")
    if isinstance(raw, int):
        value = raw
    else:
        match = _SIZE.match(str(raw))
        unit = (match.group(2) or "").lower() if match else None
        if match is None or unit not in _SIZE_UNITS:
            raise ValueError("use a size such as 10MiB, 50MB or 1048576")
        value = int(float(match.group(1)) * _SIZE_UNITS[unit])
    if value <= 0:
        raise ValueError("use a size above zero, such as 10MiB")
    return value


def parse_size(raw: Any, option: str) -> int:
    """Return the size ``raw`` (``10MiB``, ``50MB``, ``1048576``) in bytes.

    :raises ConfigError: It is not a size above zero; the message names
        ``option``.
    """
    try:
        return _parse_size(raw)
    except ValueError as error:
        raise ConfigError(f"{option}: {raw!r} is not valid: {error}") from None


def _parse_action(raw: Any) -> str:
    value = str(raw).strip().lower() if isinstance(raw, str) else None
    if value not in ("report", "fail"):
        raise ValueError("use report or fail")
    return value


def _parse_switch(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("use true or false (1, yes, on; 0, no, off)")


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "retention_policy": _parse_policy,
    "retention_count": _parse_count,
    "root": _parse_root,
    "basetemp": _parse_path,
    "leak_checks": _parse_checks,
    "memory_leak_limit": _parse_size,
    "leak_action": _parse_action,
    "pytest_tmp_path": _parse_switch,
}

_file_cache: dict[str, dict[str, tuple[Any, str]]] = {}


def file_settings(directory: str | None = None) -> dict[str, tuple[Any, str]]:
    """Return ``{option: (raw value, source)}`` from the project files.

    Read ``[fixturestmp]`` in ``setup.cfg`` and ``tox.ini`` and
    ``[tool.fixturestmp]`` in ``pyproject.toml`` in ``directory`` (the current
    directory by default); the first file naming an option wins. Read once
    per directory and process.
    """
    directory = os.path.abspath(directory or os.curdir)
    cached = _file_cache.get(directory)
    if cached is not None:
        return cached
    found: dict[str, tuple[Any, str]] = {}
    for filename in ("setup.cfg", "tox.ini"):
        path = os.path.join(directory, filename)
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as error:
            raise ConfigError(
                f"{path} cannot be read as an ini file ({error}); fix its syntax"
            ) from None
        if parser.has_section("fixturestmp"):
            for key, value in parser.items("fixturestmp"):
                found.setdefault(key, (value, f"[fixturestmp] in {path}"))
    path = os.path.join(directory, "pyproject.toml")
    if os.path.exists(path):
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - exercised on Python 3.10 only
            import tomli as tomllib
        try:
            with open(path, "rb") as stream:
                table = tomllib.load(stream).get("tool", {}).get("fixturestmp", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(
                f"{path} cannot be read as TOML ({error}); fix its syntax"
            ) from None
        for key, value in table.items():
            found.setdefault(key, (value, f"[tool.fixturestmp] in {path}"))
    for key, (_, source) in found.items():
        if key not in _PARSERS:
            raise ConfigError(
                f"unknown option {key!r} in {source}; known options are: "
                + ", ".join(sorted(_PARSERS))
            )
    _file_cache[directory] = found
    return found


def check_all(given: Iterable[str] = ()) -> None:
    """Check every option's configured value (environment, project file).

    Called before anything is created, so that a bad value of an option
    that only later code reads (``FIXTURESTMP_LEAK_ACTION=explode`` in a run
    with no leak check) is refused at once rather than ignored.

    :param given: Options the caller was given explicitly: those values
        win, and the configured ones are not read.
    :raises ConfigError: As :func:`resolve`, for the first bad value.
    """
    for option in _PARSERS:
        if option not in given:
            resolve(option)


def resolve(option: str, explicit: Any = None, source: str | None = None) -> Any:
    """Return the parsed value of ``option``.

    :param option: An option name, e.g. ``retention_policy``.
    :param explicit: A value given by the caller; ``None`` means not given.
    :param source: How to name where ``explicit`` came from in errors.
    :raises ConfigError: The value that applies is not valid.
    """
    check_environment()
    parse = _PARSERS[option]
    if explicit is not None:
        raw, origin = explicit, source or f"argument {option}="
    elif os.environ.get(env_name(option), "") != "":
        raw = os.environ[env_name(option)]
        origin = f"environment variable {env_name(option)}"
    elif option in (settings := file_settings()):
        raw, origin = settings[option]
    else:
        return DEFAULTS[option]
    try:
        return parse(raw)
    except ValueError as error:
        raise ConfigError(
            f"{option}: {raw!r} from {origin} is not valid: {error}"
        ) from None
