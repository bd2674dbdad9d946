"""engine.sh on a machine where no Docker engine runs yet: parallel callers start exactly one dockerd.

Runs the real script with stand-ins for docker, dockerd and ip on PATH (nothing here touches the
machine's engine): `docker info` fails until the stand-in dockerd has "started".
"""
import os
import signal
import subprocess
import textwrap
from pathlib import Path

from tests.sandbox.settings import REPO

ENGINE = REPO / "tests" / "sandbox" / "hosts" / "engine.sh"


def stub(directory, name, body):
    path = Path(directory) / name
    path.write_text("#!/bin/bash\n" + textwrap.dedent(body))
    path.chmod(0o755)


def test_parallel_callers_start_one_engine_and_reuse_it(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker, starts = tmp_path / "engine-up", tmp_path / "starts"
    stub(bin_dir, "docker", 'test "$1" = info && test -e %s\n' % marker)
    # A slow start, so the other callers arrive while it is under way.
    stub(bin_dir, "dockerd", """\
        echo started >> %s
        sleep 1; touch %s
        while [ "$1" != --pidfile ]; do shift; done; echo $$ > "$2"
        sleep 120  # a dockerd runs on; callers must not wait for it to end
        """ % (starts, marker))
    stub(bin_dir, "ip", "exit 1\n")  # no stale docker0
    env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ["PATH"]), SANDBOX_DIR=str(tmp_path / "state"),
               ENGINE_PACKAGES=" ")
    callers = [subprocess.Popen([str(ENGINE), "up"], env=env, stderr=subprocess.PIPE, text=True) for caller in range(3)]
    try:
        outputs = [proc.communicate(timeout=60)[1] for proc in callers]
        assert [proc.returncode for proc in callers] == [0, 0, 0], outputs
        assert starts.read_text().splitlines() == ["started"]
        assert sum("starting dockerd" in out for out in outputs) == 1
        assert sum("started meanwhile; reusing it" in out for out in outputs) == 2
    finally:
        # The stand-in runs in its own session (setsid): stop it and its sleep together.
        os.killpg(int((tmp_path / "state" / "dockerd.pid").read_text()), signal.SIGTERM)
