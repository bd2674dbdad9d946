"""What both bench parts share: the run's context (date, commit, load), the emulator's call counters,
and running a command while measuring its wall time, CPU seconds and peak memory."""
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The sandbox helpers and the playbook test harness are reused as they are, not copied.
for _path in (REPO, REPO / "tests" / "integration"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.conftest import COLLECTIONS_ROOT, Emulator  # noqa: E402  pylint: disable=wrong-import-position
from sandbox_fixtures import Background, free_port  # noqa: E402  pylint: disable=wrong-import-position,import-error

WORK = REPO / ".sandbox" / "bench"
BIN = Path(sys.executable).parent
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

__all__ = ["COLLECTIONS_ROOT", "Emulator", "Background", "free_port", "REPO", "WORK", "BIN", "context", "pages",
           "Counter", "measure", "log", "start_emulator",
           "start_service"]


def log(msg):
    print("bench: %s" % msg, file=sys.stderr, flush=True)


def load():
    return [round(x, 2) for x in os.getloadavg()]


def context():
    """Where and when the figures were taken: they mean little without it on a shared machine."""
    def git(*args):
        return subprocess.run(["git"] + list(args), cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "commit": git("rev-parse", "--short", "HEAD"),
            # The tree may be shared with other work in progress: name what was measured beyond the commit.
            "dirty": git("status", "--porcelain", "--", "plugins", "roles", "playbooks").splitlines(),
            "cpus": os.cpu_count(), "load_average_start": load()}


def pages(count, size):
    return int(math.ceil(count / float(size)))


class Counter:
    """Calls the emulator received between start() and stop(), from its own stats (never typed by hand)."""

    def __init__(self, emulator):
        self.emulator = emulator

    def start(self):
        self.emulator.reset_stats()

    def stop(self):
        calls = self.emulator.stats()["calls"]
        return {"total": sum(calls.values()), "by_operation": dict(sorted(calls.items()))}


def _tree_rss_kib(pgid):
    """Resident memory of every process in one process group (ansible-playbook and its forks)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat (pgrp); 0-based after the command name
            total += int(fields[21]) * PAGE_KIB  # field 24 (rss, pages)
    return total


def measure(cmd, env, cwd=None, timeout=1800):
    """Run `cmd`; return rc, stdout, wall seconds and the controller cost.

    bench.rusage runs it and reports os.wait4's rusage of that one command including the forks it reaped
    (ansible's workers): CPU seconds, and ru_maxrss, the largest single process. A sampler also records
    the peak of the whole process group's resident memory.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.NamedTemporaryFile("r", suffix=".json") as usage:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "rusage.py"), usage.name, "--"] + list(cmd), cwd=cwd or REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.wait(0.25):
                peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
                if time.monotonic() - start > timeout:
                    proc.kill()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        proc.wait()
        done.set()
        sampler.join()
        seconds = time.monotonic() - start
        out.seek(0)
        stdout = out.read()
        cost = json.loads(usage.read() or '{"cpu_seconds": null, "maxrss_kib": null}')
    return {"rc": proc.returncode, "stdout": stdout, "seconds": round(seconds, 2), "rss_method": "bench.rusage",
            "cpu_seconds": cost["cpu_seconds"] and round(cost["cpu_seconds"], 2),
            "peak_rss_mib": cost["maxrss_kib"] and round(cost["maxrss_kib"] / 1024.0, 1),
            "peak_tree_rss_mib": round(peak[0] / 1024.0, 1)}


def start_emulator(listen=None, drain_delay=None):
    """An emulator of the bench's own on a free port (loopback, plus `listen` for sandbox hosts).

    AWS's managed IAM policies are loaded, as the register playbook attaches two of them.
    """
    port = free_port()
    argv = [sys.executable, "-m", "tests.sandbox.emulator", "--host", "127.0.0.1", "--port", str(port)]
    if listen:
        argv += ["--listen", "%s:%d" % (listen, port)]
    if drain_delay is not None:
        argv += ["--drain-delay", str(drain_delay)]
    WORK.mkdir(parents=True, exist_ok=True)
    previous = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    try:
        proc = Background("emulator-%d" % port, argv, WORK, "http://127.0.0.1:%d/_emulator/health" % port)
    finally:
        if previous is None:
            del os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"]
        else:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = previous
    emulator = Emulator("http://127.0.0.1:%d" % port)
    emulator.port, emulator.proc = port, proc
    emulator.host_url = "http://%s:%d" % (listen, port) if listen else None
    return emulator


def start_service(emulator, cluster, count):
    """An EXTERNAL service of `count` small tasks, so a drain has tasks to wait for."""
    ecs = emulator.client("ecs")
    ecs.register_task_definition(family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "web", "image": "nginx", "cpu": 128, "memory": 64}])
    ecs.create_service(cluster=cluster, serviceName="web", taskDefinition="web", desiredCount=count, launchType="EXTERNAL")
