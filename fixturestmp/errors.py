"""Exceptions raised by fixturestmp."""

__all__ = ["ConfigError", "UnsafeRootError"]


class ConfigError(ValueError):
    """An option has a value fixturestmp cannot use.

    The message names the option, where the value came from, the value and
    what is allowed. It is raised before anything on disk is created or
    deleted.
    """


class UnsafeRootError(OSError):
    """The temporary root cannot be used safely.

    The message says what is wrong (a symlink, another user's directory, not a
    directory) and how to fix it.
    """
