"""Listing a directory only when it may have changed since the last listing.

The temporary directory of a build machine can hold thousands of entries,
and listing it twice per test costs in proportion to them. Adding, removing
or renaming an entry changes the directory's modification time (and on
tmpfs its size), so while ``stat`` shows the same values the last listing
still holds, for the price of one ``stat``.

File systems stamp times from a coarse clock (the kernel's timer tick), so
a change made in the same tick as the previous one can leave the time as it
was. Recent Linux kernels give a change a finer time once the old one has
been read, on file systems with multigrain timestamps: since
each listing reads the time first, a change after it always gets a later
one. Whether the file system does is tried once per file system, in a
directory made for it (:func:`later_after_stat`). Where it does not, a
listing is reused only if, when it was taken, the modification time was
already older than :data:`SETTLED`: any later change then gets a later
time. Some file systems keep times in whole seconds (FAT in even ones,
whatever the clock): a time with no fraction of a second is trusted only
after :data:`COARSE_SETTLED`. A clock stepped backwards, or a network file
system whose clock differs from ours, can defeat this; :func:`listing` with
``fresh=True`` always lists.
"""

import os
import tempfile
import time

from fixturestmp._store.basedir import PROBE_PREFIX

__all__ = [
    "COARSE_SETTLED",
    "SETTLED",
    "Entries",
    "later_after_stat",
    "listing",
]

#: Seconds after which a directory's modification time can no longer be
#: given again by a change: several ticks of the coarsest clock.
SETTLED = 0.05

#: The same for a time in whole seconds, which a file system keeping times
#: of one or two seconds (ext3, FAT) gives to every change of those seconds.
COARSE_SETTLED = 2 + SETTLED

#: Names the directory :func:`later_after_stat` makes, and removes at once.

# How many times a change after a stat must get a later time. Where times
# come from the timer tick, two changes some microseconds apart get
# different times about once in a hundred: all of eight, never.
_TRIES = 8

Entries = frozenset[tuple[str, int]]
_Key = tuple[int, int, int, int, int]

# directory -> (its stat when listed, when the listing started, the listing)
_cache: dict[str, tuple[_Key, float, Entries]] = {}
# st_dev -> whether a change after a stat gets a later time there
_later: dict[int, bool] = {}


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
        later = _later.get(key[0])
        if later is None:
            later = _later[key[0]] = later_after_stat(directory)
        if later:
            return cached[2]
        modified = key[2]
        settled = COARSE_SETTLED if modified % 1_000_000_000 == 0 else SETTLED
        if cached[1] - modified / 1e9 > settled:
            return cached[2]
    started = time.time()
    with os.scandir(directory) as scan:
        entries = frozenset((entry.name, entry.inode()) for entry in scan)
    _cache[directory] = (key, started, entries)
    return entries


def later_after_stat(directory: str) -> bool:
    """Return whether, on the file system of ``directory``, every change to
    a directory made after a ``stat`` of it gets a later modification time.

    Each kind of change is tried (a file system may stamp some with the
    entry's time: some give ``rmdir`` the old one), in a
    directory made in ``directory`` for it (named :data:`PROBE_PREFIX`...)
    and removed at once; False if it cannot be made.
    """
    try:
        probe = tempfile.mkdtemp(prefix=PROBE_PREFIX, dir=directory)
    except OSError:
        return False
    one, other = os.path.join(probe, "one"), os.path.join(probe, "other")
    changes = (
        lambda: os.mkdir(one),
        lambda: os.rename(one, other),
        lambda: os.rmdir(other),
        lambda: os.close(os.open(one, os.O_CREAT | os.O_WRONLY, 0o600)),
        lambda: os.link(one, other),
        lambda: os.unlink(other),
        lambda: os.unlink(one),
        lambda: os.symlink("none", one),
        lambda: os.unlink(one),
    )
    try:
        for _ in range(_TRIES):
            for change in changes:
                before = os.stat(probe).st_mtime_ns
                change()
                if os.stat(probe).st_mtime_ns <= before:
                    return False
        return True
    except OSError:
        return False
    finally:
        _remove_probe(probe, (one, other))


def _remove_probe(probe: str, made: tuple[str, ...]) -> None:
    # Only what the probe made is removed. Should another process put
    # something in it, it stays: named as ours, ``files`` never reports it.
    try:
        for path in made:
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            elif os.path.lexists(path):
                os.unlink(path)
        os.rmdir(probe)
    except OSError:
        pass
