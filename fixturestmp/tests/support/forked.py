"""Run a function in a real forked child and get back what it returned."""

import json
import os
import select
import signal
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["in_forked_child"]

#: A child that says nothing for this long is hung: killed, and the test fails.
HUNG = 120


def in_forked_child(function: Callable[..., Any], *args: Any) -> Any:
    """Fork; in the child return ``function(*args)`` through a pipe as JSON.

    The child leaves with ``os._exit`` (no atexit handlers, no test runner
    code), unless ``function`` exits itself. An exception in the child is
    raised here as an ``AssertionError`` carrying the child's traceback.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_end)
            try:
                reply = {"result": function(*args)}
            except BaseException:
                reply = {"error": traceback.format_exc()}
            data = json.dumps(reply).encode()
            while data:
                data = data[os.write(write_end, data) :]
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as stream:
        while True:
            ready, _, _ = select.select([stream], [], [], HUNG)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError(f"the forked child said nothing in {HUNG}s")
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        raise AssertionError(f"the forked child replied nothing (status {status})")
    reply = json.loads(b"".join(chunks))
    if "error" in reply:
        raise AssertionError(f"in the forked child:\n{reply['error']}")
    return reply["result"]
