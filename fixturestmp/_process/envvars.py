"""The environment variables fixturestmp reads, by name: their one home.

Each option has its own, ``FIXTURESTMP_`` and the option's name in upper
case (:func:`env_name`); the others say how a process joins a run. The
``.pth`` start-up hook runs before anything can be imported and spells
out :data:`ADOPT_ENV` and :data:`PER_TEST_ENV` itself
(:data:`fixturestmp._hooks.startup.PTH_LINE`, checked by a test).
"""

__all__ = ["ADOPT_ENV", "ENV_PREFIX", "PER_TEST_ENV", "SESSION_ENV", "env_name"]

#: The prefix of every variable fixturestmp reads.
ENV_PREFIX = "FIXTURESTMP_"
#: The session directory every process of a ``fixturestmp run`` joins.
SESSION_ENV = "FIXTURESTMP_SESSION"
#: Adopt ``fixtures.TempDir`` and ``NestedTempfile``: 1/true/yes, 0/false/no.
ADOPT_ENV = "FIXTURESTMP_ADOPT"
#: Set by ``fixturestmp run`` where ``leak_checks`` apply to every test.
PER_TEST_ENV = "FIXTURESTMP_PER_TEST_LEAKS"


def env_name(option: str) -> str:
    """Return the environment variable of ``option``, e.g.
    ``FIXTURESTMP_RETENTION_POLICY``.
    """
    return ENV_PREFIX + option.upper()
