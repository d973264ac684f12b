"""Hostile input: test names, another user's base directory, others' files.

Real conditions only: real names through the real derivation, a base
directory really created by another user (uid 65534), files really owned by
root inside a session that user must prune.
"""

import json
import os
import re
import warnings
from pathlib import Path

import testtools
from testtools.matchers import Contains

import fixturestmp
from fixturestmp._process import systemtmp
from fixturestmp._store.basedir import SharedRootWarning, base_name
from fixturestmp._store.manifest import read_manifest
from fixturestmp.tests.support import IsolatedTestCase, run_python
from fixturestmp.tests.support.reliability import (
    Survivors,
    as_user,
    make_user_tree,
    record_figures,
    snapshot,
)

NOBODY = 65534
_SAFE = re.compile(r"^[A-Za-z0-9_]{1,30}\d+$")

HOSTILE_NAMES = [
    "a/b",
    "../../../etc/passwd",
    "..",
    ".",
    "/",
    "nul\0byte",
    "x" * 300,
    "\udcff\udcfe not UTF-8 (surrogateescape)",
    b"\xff\xfe/../bytes",
    "",
    "-rf --no-preserve-root",
    "$(touch pwned)`id`",
    "line\nFAILED fake.test  /etc",
    "\x1b[31mred\x1b[0m",
    "ünïcødé 名前",
    "con",
    "a" * 29 + "/",
]


class HostileCase(testtools.TestCase):
    """Cases whose method names are hostile; made from HOSTILE_NAMES."""

    session: fixturestmp.SessionTempFixture
    survivors: Survivors


def _fail(self):
    tmp = self.useFixture(fixturestmp.TempDirFixture(session=HostileCase.session))
    (tmp.path / "evidence").write_text(repr(self.id()))
    HostileCase.survivors.add_tree(tmp.path)
    self.fail("kept for inspection")


class TestHostileNames(IsolatedTestCase):
    def test_names_stay_inside_the_session_and_are_listed(self):
        user = self.root / "user-data"
        before = make_user_tree(user)
        survivors = Survivors()
        survivors.add_tree(user)
        paths = []
        with self.session(retention_policy="failed") as session:
            for name in HOSTILE_NAMES:
                try:
                    with fixturestmp.TempDirFixture(name, session=session) as tmp:
                        (tmp.path / "evidence").write_text("x")
                        survivors.add_tree(tmp.path)
                        paths.append(tmp.path)
                        raise RuntimeError("fail, so it is kept")
                except RuntimeError:
                    pass
            HostileCase.session, HostileCase.survivors = session, survivors
            result = testtools.TestResult()
            methods = [n for n in HOSTILE_NAMES if isinstance(n, str) and n]
            for name in methods:
                setattr(HostileCase, name, _fail)
                HostileCase(name).run(result)
            self.assertEqual(len(methods), len(result.failures), result.errors)
        records = list(read_manifest(session.path))
        paths += [
            session.path / os.path.basename(r["path"]) for r in records[-len(methods) :]
        ]
        for path in paths:
            self.assertEqual(session.path, path.parent)
            self.assertRegex(path.name, _SAFE)
            self.assertTrue((path / "evidence").is_file(), path)
        self.assertEqual(len(paths), len(set(paths)))
        self.assertEqual(before, snapshot(user, contents=True))
        self.assertEqual(
            sorted([base_name(), "user-data"]), sorted(os.listdir(self.root))
        )
        # The ids are recorded exactly, and every command copes with them.
        ids = [r["id"] for r in records]
        self.assertIn(f"{HostileCase.__module__}.HostileCase.nul\0byte", ids)
        env = {"FIXTURESTMP_ROOT": str(self.root), "PYTHONIOENCODING": "utf-8:strict"}
        listed = run_python(
            ["-m", "fixturestmp.cli", "ls", "--json"], self.workdir, env
        )
        self.assertEqual(0, listed.returncode, listed.stderr)
        self.assertEqual(
            sorted(ids), sorted(t["id"] for t in json.loads(listed.stdout)[0]["tests"])
        )
        text = run_python(["-m", "fixturestmp.cli", "ls"], self.workdir, env)
        self.assertEqual(0, text.returncode, text.stderr)
        # One line per session and per kept directory: no name forges a line.
        self.assertEqual(1 + len(ids), len(text.stdout.splitlines()))
        self.assertNotIn("\x1b", text.stdout)
        shown = run_python(["-m", "fixturestmp.cli", "show", "nul"], self.workdir, env)
        self.assertEqual(0, shown.returncode, shown.stderr)
        # The user's tree, and each kept directory with its evidence.
        self.assertEqual(7 + 2 * len(paths), len(survivors.expected))
        self.assertEqual([], survivors.missing())
        record_figures(
            self,
            "hostile-names",
            {"names": len(HOSTILE_NAMES) + len(methods), **survivors.count()},
        )

    def test_hostile_option_values_are_refused_before_anything_is_made(self):
        tried = 0
        for kwargs in [
            {"root": "/tmp\0/x"},
            {"root": str(self.workdir / "missing")},
            {"root": "   "},
            {"basetemp": "\0"},
            {"retention_count": "-1"},
            {"retention_count": "1e9"},
            {"retention_policy": "all; rm -rf /"},
        ]:
            tried += 1
            self.assertRaises(
                fixturestmp.ConfigError, fixturestmp.SessionTempFixture, **kwargs
            )
        for session in ["/", str(self.workdir), "relative/../../"]:
            tried += 1
            self.assertRaises(
                fixturestmp.ConfigError, fixturestmp.SessionTempFixture.join, session
            )
        made = os.listdir(self.root)
        self.assertEqual([], made)
        record_figures(self, "hostile-options", {"values": tried, "made": len(made)})


FALLBACK_SCRIPT = """
import fixturestmp
for _ in range(2):
    with fixturestmp.SessionTempFixture(retention_policy="all") as session:
        with fixturestmp.TempDirFixture("kept", session=session) as tmp:
            tmp.mark_failed()
    print(tmp.path)
"""


def _make_dir(path: str, bait: bool) -> None:
    os.mkdir(path, 0o700)
    if bait:
        with open(os.path.join(path, "bait"), "w") as stream:
            stream.write("the other user's")


def _session_in_default_root(root: str) -> dict:
    # This forked child stands for a process started with TMPDIR=root (it
    # cannot start anew: the other user may not be able to run ours).
    systemtmp._at_start = {"TMPDIR": root}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fixturestmp.SessionTempFixture(retention_policy="all") as session:
            with fixturestmp.TempDirFixture("kept", session=session) as tmp:
                tmp.mark_failed()
    return {"path": str(tmp.path), "warnings": [str(w.message) for w in caught]}


def _session_in_root(root: str, count: int) -> dict:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fixturestmp.SessionTempFixture(
            root=root, retention_count=count, retention_policy="all"
        ) as session:
            with fixturestmp.TempDirFixture("kept", session=session):
                pass
    return {"path": str(session.path), "warnings": [str(w.message) for w in caught]}


class TestAnotherUsersBaseDirectory(IsolatedTestCase):
    """Anyone can create ``fixturestmp-of-<you>`` in a shared /tmp first."""

    def setUp(self):
        super().setUp()
        os.chmod(self.root, 0o1777)  # like /tmp
        self.env = {"TMPDIR": str(self.root)}
        self.survivors = Survivors()

    def taken(self, name: str, bait: bool = True) -> dict:
        """Make ``name`` in the root as nobody; return its snapshot.

        It and what it holds are counted among :attr:`survivors`.
        """
        as_user(NOBODY, _make_dir, str(self.root / name), bait)
        self.survivors.add_tree(self.root / name)
        return snapshot(self.root / name, contents=True)

    def run_twice(self) -> tuple[list[str], str]:
        paths, said = [], []
        for _ in range(2):
            run = run_python(["-c", FALLBACK_SCRIPT], self.workdir, self.env)
            self.assertEqual(0, run.returncode, run.stderr)
            paths += run.stdout.split()
            said.append([x for x in run.stderr.splitlines() if "FallbackWarning" in x])
        for lines in said:  # Once per process, however many sessions.
            self.assertEqual(1, len(lines), str(said))
        return paths, said[0][0]

    def test_other_users_directory_is_worked_around_and_said_once(self):
        before = self.taken(base_name())
        paths, warning = self.run_twice()
        fallback = self.root / f"{base_name()}.{os.getuid()}"
        self.assertEqual(
            [str(fallback / f"run-{n}" / "kept0") for n in range(4)], paths
        )
        for part in (str(self.base), f"uid {NOBODY} (nobody)", "FIXTURESTMP_ROOT"):
            self.assertThat(warning, Contains(part))
        self.assertThat(warning, Contains(str(fallback)))
        self.assertEqual(0o700, fallback.stat().st_mode & 0o7777)
        self.assertEqual(before, snapshot(self.base, contents=True))
        self.assertEqual(NOBODY, self.base.stat().st_uid)
        # ls, show and clean look in the same place.
        cli = ["-m", "fixturestmp.cli"]
        listed = run_python([*cli, "ls", "--json"], self.workdir, self.env)
        # Four sessions ran; retention_count 3 kept the newest three.
        self.assertEqual(3, len(json.loads(listed.stdout)), listed.stderr)
        shown = run_python([*cli, "show", "kept"], self.workdir, self.env)
        self.assertEqual(paths[:0:-1], shown.stdout.split())
        cleaned = run_python([*cli, "clean", "--all"], self.workdir, self.env)
        self.assertEqual(0, cleaned.returncode, cleaned.stderr)
        self.assertEqual([], [p for p in os.listdir(fallback) if p.startswith("run")])
        # A root the user chose is still refused, as it is.
        refused = run_python(
            [*cli, "run", "--", "true"],
            self.workdir,
            {**self.env, "FIXTURESTMP_ROOT": str(self.root)},
        )
        self.assertEqual(2, refused.returncode)
        self.assertThat(refused.stderr, Contains(f"owned by uid {NOBODY}"))
        self.assertEqual([], self.survivors.missing())
        record_figures(
            self, "hostile-base-foreign", {"runs": 2, **self.survivors.count()}
        )

    def test_symlink_and_taken_fallback_lead_to_a_private_directory(self):
        attacker = self.workdir / "attacker"
        attacker.mkdir()
        os.chown(attacker, NOBODY, NOBODY)
        self.base.symlink_to(attacker)
        self.survivors.add(attacker, self.base)
        taken = self.taken(f"{base_name()}.{os.getuid()}")
        paths, warning = self.run_twice()
        self.assertThat(warning, Contains("is a symlink"))
        private = {os.path.dirname(os.path.dirname(p)) for p in paths}
        self.assertEqual(1, len(private), paths)  # found again by the 2nd run
        private = private.pop()
        self.assertRegex(private, re.escape(f"{base_name()}.{os.getuid()}-") + "\\w+$")
        self.assertEqual(os.getuid(), os.stat(private).st_uid)
        self.assertEqual([], os.listdir(attacker))
        self.assertEqual(
            taken, snapshot(self.root / f"{base_name()}.{os.getuid()}", True)
        )
        self.assertEqual([], self.survivors.missing())
        record_figures(
            self, "hostile-base-symlink", {"runs": 2, **self.survivors.count()}
        )

    def test_as_another_user_whose_directory_root_made(self):
        name = "fixturestmp-of-nobody"
        (self.root / name).mkdir(mode=0o700)
        self.survivors.add(self.root / name)
        reply = as_user(NOBODY, _session_in_default_root, str(self.root))
        fallback = self.root / f"{name}.{NOBODY}"
        self.assertEqual(str(fallback / "run-0" / "kept0"), reply["path"])
        self.survivors.add(Path(reply["path"]))  # kept: marked failed
        self.assertEqual(1, len(reply["warnings"]), reply)
        self.assertThat(reply["warnings"][0], Contains("owned by uid 0 (root)"))
        self.assertThat(reply["warnings"][0], Contains("Permission denied"))
        self.assertEqual([], os.listdir(self.root / name))
        self.assertEqual([], self.survivors.missing())
        record_figures(
            self, "hostile-base-as-nobody", {"runs": 1, **self.survivors.count()}
        )


class TestOtherUsersFilesInASession(IsolatedTestCase):
    def test_what_cannot_be_pruned_is_named_and_the_rest_goes(self):
        os.chmod(self.root, 0o1777)
        first = Path(as_user(NOBODY, _session_in_root, str(self.root), 3)["path"])
        stuck = first / "roots"  # root's, inside nobody's session
        stuck.mkdir()
        (stuck / "file").write_text("root's")
        survivors = Survivors()
        survivors.add_tree(stuck)
        reply = as_user(NOBODY, _session_in_root, str(self.root), 0)
        prune_warnings = [w for w in reply["warnings"] if "roots/file" in w]
        self.assertEqual(1, len(prune_warnings), reply)
        self.assertThat(prune_warnings[0], Contains("Permission denied"))
        self.assertThat(prune_warnings[0], Contains(f"{first.name}/roots/file"))
        base = self.root / "fixturestmp-of-nobody"
        garbage = [p for p in base.iterdir() if p.name.startswith(".garbage")]
        self.assertEqual(
            ["file"], [p.name for p in garbage[0].rglob("*") if p.is_file()]
        )
        self.assertEqual("root's", (garbage[0] / "roots" / "file").read_text())
        # What could not be pruned is kept whole, where the session went.
        survivors.move(first, garbage[0])
        self.assertEqual([], survivors.missing())
        counted = survivors.count()
        os.chown(garbage[0] / "roots", NOBODY, NOBODY)
        as_user(NOBODY, _session_in_root, str(self.root), 0)
        self.assertEqual([".last-number", ".lock"], sorted(os.listdir(base)))
        record_figures(self, "hostile-foreign-files", {"sessions": 3, **counted})


def _swap_for_symlink(base: str, target: str) -> None:
    """As the root's owner: move ``base`` aside, put a symlink in its place."""
    os.rename(base, base + ".moved")
    os.symlink(target, base)


class TestBaseSwappedMidRun(IsolatedTestCase):
    """The root belongs to another user, who swaps the base directory for a
    symlink to their own directory while a session runs."""

    def setUp(self):
        super().setUp()
        os.chmod(self.root, 0o755)
        self.shared = self.root / "shared"
        self.shared.mkdir()
        os.chown(self.shared, NOBODY, NOBODY)
        self.attacker = self.root / "attacker"
        self.attacker.mkdir()
        (self.attacker / "bait").write_text("theirs")
        # Ready for the session that will run: run-0, as the real one.
        (self.attacker / "run-0").mkdir()
        for path in (self.attacker, self.attacker / "run-0"):
            os.chown(path, NOBODY, NOBODY)
        self.before = snapshot(self.attacker, contents=True)
        self.survivors = Survivors()
        self.survivors.add_tree(self.attacker)

    def test_everything_stays_in_the_checked_directory(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            session = fixturestmp.SessionTempFixture(
                root=self.shared, retention_policy="failed", retention_count=1
            )
            session.setUp()
            # A second session in the same process: said once only.
            with fixturestmp.SessionTempFixture(root=self.shared):
                pass
        shared = [w for w in caught if w.category is SharedRootWarning]
        self.assertEqual(1, len(shared), [str(w.message) for w in caught])
        for part in (str(self.shared), f"uid {NOBODY}", "FIXTURESTMP_ROOT"):
            self.assertThat(str(shared[0].message), Contains(part))
        big = session.mktemp("big")
        (big / "sub").mkdir()
        for number in range(40):
            (big / "sub" / f"f{number}").write_text("x")
        base = self.shared / base_name()
        as_user(NOBODY, _swap_for_symlink, str(base), str(self.attacker))
        self.assertTrue(base.is_symlink())
        self.survivors.add(base)  # the other user's symlink stays theirs
        real = Path(str(base) + ".moved") / session.path.name
        made = [session.mktemp("t").name for _ in range(30)]
        small = session.mktemp("small")
        self.assertTrue((real / small.name).is_dir())
        session.discard(small)  # deleted in place
        session.discard(big)  # through the trash
        self.assertEqual(self.before, snapshot(self.attacker, contents=True))
        self.assertEqual([], [n for n in made if not (real / n).is_dir()])
        self.assertFalse((real / small.name).exists())
        self.assertFalse((real / big.name).exists())
        session.cleanUp()
        # Ended without failure: removed, through the checked directory.
        self.assertFalse(real.exists())
        self.assertEqual(self.before, snapshot(self.attacker, contents=True))
        self.assertEqual([], self.survivors.missing())
        record_figures(
            self, "hostile-base-swapped", {"dirs": len(made), **self.survivors.count()}
        )
