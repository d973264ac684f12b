"""How the store opens a directory: its one set of flags.

Read-only, a directory or an error, never through a symbolic link (a link
planted where a directory was is refused, never followed out of the
tree), and closed in a program the process runs.
"""

import os

__all__ = ["DIR_FLAGS"]

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
