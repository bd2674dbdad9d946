"""`make demo` as a newcomer runs it: in a clean copy of the checkout (every tracked or new,
non-ignored file; no .sandbox, no .build), with its own ports and fleet name so it never touches a
sandbox already running here. Then `make sandbox-down`, as the demo tells the user."""
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.hosts


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def checkout(tmp_path):
    """The files a fresh clone of this tree has, plus the already built venv (pip is not the subject)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    root = tmp_path / "checkout"
    for name in filter(None, listed):
        src = REPO / name
        if src.is_file():
            dest = root / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    (root / ".venv").symlink_to(REPO / ".venv")
    return root


def test_make_demo_from_a_clean_checkout(checkout):
    env = dict(os.environ, EMULATOR_PORT=str(free_port()), MIRROR_PORT=str(free_port()), FLEET="demo%d" % os.getpid())
    for key in ("AWS_ENDPOINT_URL", "ANSIBLE_COLLECTIONS_PATH", "SANDBOX_DIR"):
        env.pop(key, None)
    try:
        proc = subprocess.run(["make", "--no-print-directory", "demo"], cwd=checkout, env=env, capture_output=True,
                              text=True, timeout=1500)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-8000:]
        for number, word in ((1, "register"), (2, "fleet"), (3, "agent_update"), (4, "EXTERNAL service"),
                             (5, "drain_and_deregister"), (6, "fleet")):
            assert re.search(r"== step %d: .*%s" % (number, word), out), "step %d missing" % number
        # The summary tables of the playbooks reach the console.
        assert re.search(r"HOST\s+MANAGED INSTANCE\s+CONTAINER INSTANCE ARN\s+STATUS\s+AGENT\s+RESULT", out)
        assert "updated to" in out and "deregistered and cleaned" in out
        # The newcomer is told how to explore and how to tear down.
        assert ". .sandbox/env" in out and "make sandbox-down" in out
        # No activation code leaked to the console or the logs.
        logs = "".join(p.read_text() for p in (checkout / ".sandbox").glob("demo-*.log"))
        import json
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:%s/_emulator/activations" % env["EMULATOR_PORT"]) as resp:
            activations = json.load(resp)["activations"]
        assert activations
        for activation in activations:
            assert activation["ActivationCode"] not in out + logs
            assert activation["Deleted"]
    finally:
        subprocess.run(["make", "--no-print-directory", "sandbox-down"], cwd=checkout, env=env, capture_output=True,
                       text=True, timeout=300)
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "label=io.hybridfleet.sandbox=%s" % env["FLEET"]],
                          capture_output=True, text=True).stdout.split()
    assert not left
    assert not Path(checkout / ".sandbox" / "env").exists()
