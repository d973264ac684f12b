"""Listing a directory only when it may have changed since the last listing.

The temporary directory of a build machine can hold thousands of entries,
and listing it twice per test costs in proportion to them. Adding, removing
or renaming an entry changes the directory's modification time (and on
tmpfs its size), so while ``stat`` shows the same values the last listing
still holds, for the price of one ``stat``.

File systems stamp times from a coarse clock (the kernel's timer tick), so
a change made in the same tick as the previous one can leave the time as it
was. A listing is therefore reused only if, when it was taken, the
modification time was already older than :data:`SETTLED`: any later change
then gets a later time. Some file systems keep times in whole seconds (FAT
in even ones, whatever the clock): a time with no fraction of a second is
trusted only after :data:`COARSE_SETTLED`. A clock stepped backwards, or a
network file system whose clock differs from ours, can defeat this;
:func:`listing` with ``fresh=True`` always lists.
"""

import os
import time

__all__ = ["COARSE_SETTLED", "SETTLED", "Entries", "listing"]

#: Seconds after which a directory's modification time can no longer be
#: given again by a change: several ticks of the coarsest clock.
SETTLED = 0.05

#: The same for a time in whole seconds, which a file system keeping times
#: of one or two seconds (ext3, FAT) gives to every change of those seconds.
COARSE_SETTLED = 2 + SETTLED

Entries = frozenset[tuple[str, int]]
_Key = tuple[int, int, int, int, int]

# directory -> (its stat when listed, when the listing started, the listing)
_cache: dict[str, tuple[_Key, float, Entries]] = {}


def _stat_key(directory: str) -> _Key:
    info = os.stat(directory)
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size, info.st_nlink)


def listing(directory: str, fresh: bool = False) -> Entries:
    """Return ``{(name, inode)}`` of the entries of ``directory``.

    :param fresh: List the directory even if it seems unchanged.
    """
    key = _stat_key(directory)
    cached = _cache.get(directory)
    if not fresh and cached is not None and cached[0] == key:
        modified = key[2]
        settled = COARSE_SETTLED if modified % 1_000_000_000 == 0 else SETTLED
        if cached[1] - modified / 1e9 > settled:
            return cached[2]
    started = time.time()
    with os.scandir(directory) as scan:
        entries = frozenset((entry.name, entry.inode()) for entry in scan)
    _cache[directory] = (key, started, entries)
    return entries
