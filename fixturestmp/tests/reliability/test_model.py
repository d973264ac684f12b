"""Model-based test: random histories of sessions against a model of the disk.

Hypothesis plays random sequences of: sessions started (numbered, random
policy and retention count; or an explicit basetemp holding a user's file),
test directories used (passing or failing), sessions ended, sessions held
by a real child process that then ends its session, alone or at the same
moment as another child (concurrent finishing orders), or is SIGKILLed
mid-session, and ``fixturestmp clean``. After every step the disk must
match a small model of which session and test directories must remain.
A session that ends is always among those kept (retention count 1 or more):
each child checks, as it ends, that every directory it kept is there.
"""

import ctypes
import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path
from traceback import format_exc

import testtools
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import fixturestmp
from fixturestmp._store.basedir import base_name
from fixturestmp._store.inventory import open_base
from fixturestmp._store.pruning import prune
from fixturestmp._store.sessiondir import SessionDir
from fixturestmp.policy import RetentionPolicy
from fixturestmp.tests.support.reliability import Survivors, record_figures

POLICIES = st.sampled_from(["all", "failed", "none"])
COUNTS = st.integers(0, 3)
FIGURES = {
    "examples": 0,
    "steps": 0,
    "sessions": 0,
    "test_dirs": 0,
    "killed": 0,
    "finished": 0,
    "expected": 0,  # entries the model says survive, summed over examples
    "found": 0,  # of those, found on disk at the end of each example
}


class Session:
    """What the model knows of one session."""

    def __init__(self, number, policy, count, path=None) -> None:
        self.number = number  # None for an explicit basetemp
        self.policy = RetentionPolicy(policy)
        self.count = count
        self.path = path
        self.state = "open"  # open, ended, held (by a child), dead
        self.failed = False
        self.exists = True
        self.dirs: dict[Path, bool] = {}  # path: must exist
        self.pending: list[Path] = []  # decided when the session ends
        self.fixture: fixturestmp.SessionTempFixture | None = None
        self.pid = 0
        self.command_fd = -1
        self.reply_fd = -1
        self.may_have_trash = False


def _hold(
    root: str, policy: str, count: int, outcomes, write_fd: int, command_fd: int
) -> None:
    """In a child: hold a session with some directories, until killed or told
    to end it.

    Told ``end``, it ends the session and, before it stops using it, reports
    which of the directories it kept are missing (there must be none).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: never outlive the test
    session = SessionDir(root=root, retention_count=count, retention_policy=policy)
    session.open()
    made: list[tuple[str, bool]] = []
    for failed in outcomes:
        path = session.dirs.mktemp("held")
        for number in range(20 if not failed else 1):
            (path / f"f{number}").write_text("x")
        if session.retention_policy.keeps(failed):
            made.append((str(path), True))
        else:
            session.dirs.discard(path)  # to the trash: the kill may catch it there
            made.append((str(path), False))
    os.write(write_fd, json.dumps([str(session.path), made]).encode())
    if os.read(command_fd, 3) != b"end":
        while True:  # The parent is gone or wants it killed.
            time.sleep(60)
    session.failed = any(outcomes)
    session.end()
    kept = session.keeps_session() and count >= 1
    missing = [p for p, keep in made if kept and keep and not os.path.isdir(p)]
    if kept and not os.path.isdir(session.path):
        missing.append(str(session.path))
    session.close()
    os.write(write_fd, json.dumps({"missing": missing}).encode())


def _reply(fd: int) -> bytes:
    ready, _, _ = select.select([fd], [], [], 60)
    return os.read(fd, 65536) if ready else b""


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="fixturestmp-model-"))
        self.base = self.root / base_name()
        self.next_number = 0
        self.sessions: list[Session] = []
        self.basetemps = {0: None, 1: None}  # slot: session using it
        FIGURES["examples"] += 1

    def teardown(self) -> None:
        self.count_survivors()
        for session in self.sessions:
            if session.state == "held":
                os.kill(session.pid, signal.SIGKILL)
                os.waitpid(session.pid, 0)
                os.close(session.command_fd)
                os.close(session.reply_fd)
            elif session.state == "open" and session.fixture is not None:
                try:
                    session.fixture.cleanUp()
                except Exception:
                    pass
        shutil.rmtree(self.root)

    def count_survivors(self) -> None:
        """Count what the model says must be on disk now, and what is.

        The kept session directories, their kept test directories, and the
        user's file in each explicit basetemp: each entry the model counted
        as it was made, compared with the disk after the example's last step.
        """
        survivors = Survivors()
        for session in self.sessions:
            if session.number is not None and not session.exists:
                continue
            if session.number is not None:
                survivors.expect(session.path)
            for path, keep in session.dirs.items():
                if keep:
                    user = path.name == "user-file"
                    survivors.expect(path, b"mine" if user else None)
        for key, value in survivors.count().items():
            if key != "lost":
                FIGURES[key] += value

    def step(self) -> None:
        FIGURES["steps"] += 1

    def running(self, state):
        return [s for s in self.sessions if s.state == state]

    # -- rules ---------------------------------------------------------

    @precondition(lambda self: len(self.running("open")) < 3)
    @rule(policy=POLICIES, count=COUNTS)
    def start(self, policy, count):
        self.step()
        fixture = fixturestmp.SessionTempFixture(
            root=self.root, retention_count=count, retention_policy=policy
        )
        fixture.setUp()
        session = Session(self.next_number, policy, count, fixture.path)
        session.fixture = fixture
        self.next_number += 1
        self.sessions.append(session)
        FIGURES["sessions"] += 1
        assert fixture.path == self.base / f"run-{session.number}", fixture.path

    @rule(policy=POLICIES, slot=st.sampled_from([0, 1]))
    def start_basetemp(self, policy, slot):
        if self.basetemps[slot] is not None:
            return
        self.step()
        path = self.root / f"explicit{slot}"
        fixture = fixturestmp.SessionTempFixture(path, retention_policy=policy)
        fixture.setUp()
        (path / "user-file").write_text("mine")
        session = Session(None, policy, 0, path)
        session.fixture = fixture
        session.dirs[path / "user-file"] = True
        self.basetemps[slot] = session
        self.sessions.append(session)
        FIGURES["sessions"] += 1

    @precondition(lambda self: self.running("open"))
    @rule(data=st.data(), failed=st.booleans(), big=st.booleans())
    def use_dir(self, data, failed, big):
        self.step()
        session = data.draw(st.sampled_from(self.running("open")))
        with fixturestmp.TempDirFixture("t", session=session.fixture) as tmp:
            (tmp.path / "sub" if big else tmp.path).mkdir(exist_ok=True)
            for number in range(30 if big else 2):
                (tmp.path / f"f{number}").write_text("x")
            if failed:
                tmp.mark_failed()
        # Used inside a test (this one), a block that passes leaves the
        # decision to the test's end, which comes after the session's: the
        # directory stays until the session ends. A failure is final at once.
        session.dirs[tmp.path] = session.policy.keeps(failed) if failed else True
        if not failed:
            session.pending.append(tmp.path)
        session.failed = session.failed or failed
        FIGURES["test_dirs"] += 1

    @precondition(lambda self: self.running("open"))
    @rule(data=st.data())
    def end(self, data):
        self.step()
        session = data.draw(st.sampled_from(self.running("open")))
        session.fixture.cleanUp()
        session.state = "ended"
        for path in session.pending:
            session.dirs[path] = session.policy.keeps(False)
        session.pending.clear()
        if session.number is None:
            if not session.policy.keeps(session.failed):
                for path in session.dirs:  # only what it made goes
                    session.dirs[path] = path.name == "user-file"
            slot = int(session.path.name[-1])
            self.basetemps[slot] = None
        else:
            self.model_end(session)

    @precondition(lambda self: len(self.running("held")) < 3)
    @rule(policy=POLICIES, count=COUNTS, outcomes=st.lists(st.booleans(), max_size=3))
    def hold(self, policy, count, outcomes):
        self.step()
        read_end, write_end = os.pipe()
        command_read, command_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                os.close(read_end)
                os.close(command_write)
                _hold(str(self.root), policy, count, outcomes, write_end, command_read)
            except BaseException:
                os.write(write_end, json.dumps({"error": format_exc()}).encode())
            finally:
                os._exit(1)
        os.close(write_end)
        os.close(command_read)
        reply = _reply(read_end)
        assert reply, "the child holding a session never became ready"
        assert "error" not in json.loads(reply), json.loads(reply)["error"]
        path, made = json.loads(reply)
        session = Session(self.next_number, policy, count, Path(path))
        self.next_number += 1
        session.state, session.pid = "held", pid
        session.command_fd, session.reply_fd = command_write, read_end
        session.failed = any(outcomes)
        session.dirs = {Path(p): keep for p, keep in made}
        session.may_have_trash = True
        self.sessions.append(session)
        FIGURES["sessions"] += 1
        FIGURES["test_dirs"] += len(made)
        assert session.path == self.base / f"run-{session.number}", path

    @precondition(lambda self: self.running("held"))
    @rule(data=st.data())
    def kill(self, data):
        self.step()
        session = data.draw(st.sampled_from(self.running("held")))
        os.kill(session.pid, signal.SIGKILL)
        os.waitpid(session.pid, 0)
        os.close(session.command_fd)
        os.close(session.reply_fd)
        session.state = "dead"
        FIGURES["killed"] += 1

    @precondition(lambda self: self.running("held"))
    @rule(data=st.data())
    def finish_held(self, data):
        """A real process ends its session while others run or have ended."""
        self.step()
        session = data.draw(st.sampled_from(self.running("held")))
        os.write(session.command_fd, b"end")
        self.collect(session)
        self.model_end(session)
        FIGURES["finished"] += 1

    @precondition(lambda self: len(self.running("held")) >= 2)
    @rule(data=st.data())
    def finish_two_held(self, data):
        """Two real processes end their sessions at the same moment.

        Either may take the base directory's lock first; and each may see
        the other still live (neither prunes the other) or already gone.
        """
        self.step()
        first, second = data.draw(
            st.lists(
                st.sampled_from(self.running("held")),
                min_size=2,
                max_size=2,
                unique_by=id,
            )
        )
        os.write(first.command_fd, b"end")
        os.write(second.command_fd, b"end")
        self.collect(first)
        self.collect(second)

        def in_order(a, b):
            b.state = "held"  # still live when the first prunes
            self.model_end(a)
            b.state = "ended"
            self.model_end(b)

        def unseen(a, b):
            a.state = b.state = "held"
            self.model_end(a)
            self.model_end(b)

        candidates = [
            lambda: in_order(first, second),
            lambda: in_order(second, first),
            lambda: unseen(first, second),
        ]
        actual = self.existing_numbers()
        saved = self.save()
        for candidate in candidates:
            self.restore(saved)
            first.state = second.state = "ended"
            candidate()
            first.state = second.state = "ended"
            if self.expected_numbers() == actual:
                break
        else:
            raise AssertionError(
                f"sessions {actual} after run-{first.number} and "
                f"run-{second.number} ended together: no finishing order "
                f"explains it"
            )
        FIGURES["finished"] += 2

    def collect(self, session: Session) -> None:
        """Wait for a child told to end; check what it found as it ended."""
        reply = _reply(session.reply_fd)
        os.waitpid(session.pid, 0)
        os.close(session.command_fd)
        os.close(session.reply_fd)
        session.state = "ended"
        assert reply, f"the child ending {session.path} died"
        assert "error" not in json.loads(reply), json.loads(reply)["error"]
        missing = json.loads(reply)["missing"]
        assert not missing, f"kept but gone as {session.path} ended: {missing}"

    def save(self):
        return [(s, s.exists, s.may_have_trash, s.state) for s in self.sessions]

    def restore(self, saved) -> None:
        for session, exists, trash, state in saved:
            session.exists, session.may_have_trash, session.state = (
                exists,
                trash,
                state,
            )

    @rule(count=COUNTS)
    def clean(self, count):
        self.step()
        base = open_base(self.root)
        if base is None:
            return
        try:
            prune(base, count)
        finally:
            base.close()
        self.model_prune(count)

    def model_end(self, session: Session) -> None:
        """A numbered session ends: it is kept or removed by its policy and
        count; then older ones are pruned, this one counting among the kept.
        """
        kept = session.policy.keeps(session.failed) and session.count >= 1
        session.may_have_trash = False
        if not kept:
            session.exists = False
        self.model_prune(session.count - 1 if kept else session.count, session)

    def model_prune(self, keep: int, ending: Session | None = None) -> None:
        dead = [
            s
            for s in self.sessions
            if s.number is not None
            and s.exists
            and s.state in ("ended", "dead")
            and s is not ending
        ]
        for index, session in enumerate(sorted(dead, key=lambda s: -s.number)):
            session.may_have_trash = False
            if index >= keep:
                session.exists = False

    def existing_numbers(self) -> list[int]:
        if not self.base.exists():
            return []
        return sorted(
            int(p.name[4:])
            for p in self.base.iterdir()
            if p.name.startswith("run-") and p.name[4:].isdigit()
        )

    def expected_numbers(self) -> list[int]:
        return sorted(
            s.number for s in self.sessions if s.number is not None and s.exists
        )

    # -- what the disk must look like ------------------------------------

    @invariant()
    def disk_matches_model(self):
        if not self.base.exists():
            assert not [s for s in self.sessions if s.number is not None]
            return
        actual = self.existing_numbers()
        expected = self.expected_numbers()
        assert actual == expected, (actual, expected)
        assert not [p for p in self.base.iterdir() if p.name.startswith(".garbage")]
        for session in self.sessions:
            if session.number is None or not session.exists:
                continue
            must = {p.name for p, keep in session.dirs.items() if keep}
            entries = set(os.listdir(session.path))
            found = {e for e in entries if not e.startswith(".")}
            assert found == must, (session.path, sorted(found), sorted(must))
            if not session.may_have_trash and session.state != "open":
                assert ".trash" not in entries, session.path
        # An explicit basetemp keeps what any of its sessions kept, and the
        # user's own file, whatever the policies.
        for slot in self.basetemps:
            path = self.root / f"explicit{slot}"
            users = [s for s in self.sessions if s.path == path]
            if not users:
                continue
            must = {p.name for s in users for p, keep in s.dirs.items() if keep}
            found = {e for e in os.listdir(path) if not e.startswith(".")}
            assert found == must, (path, sorted(found), sorted(must))


class TestSessionModel(testtools.TestCase):
    def test_random_histories_match_the_model(self):
        FIGURES.update(dict.fromkeys(FIGURES, 0))
        run_state_machine_as_test(
            SessionMachine,
            settings=settings(
                max_examples=60,
                stateful_step_count=25,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
        lost = FIGURES["expected"] - FIGURES["found"]
        self.assertEqual(0, lost)
        record_figures(self, "model", {**FIGURES, "lost": lost})
