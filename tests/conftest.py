"""Shared pytest fixtures: the collection on the import path and the emulated AWS control plane.

Tests talk to the emulator only through its public contract: the CLI
(`python -m tests.sandbox.emulator --host H --port P`) and the `/_emulator/*` admin API.
Set HF_EMULATOR_URL to reuse an emulator that is already running (e.g. `make emulator`).
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS_ROOT = REPO / ".build" / "collections"
COLLECTION_LINK = COLLECTIONS_ROOT / "ansible_collections" / "hybridfleet" / "ecs_anywhere"
REGION = "us-east-1"


def _ensure_collection_link():
    """Make `ansible_collections.hybridfleet.ecs_anywhere` importable and findable by ansible."""
    COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
    if not COLLECTION_LINK.exists():
        try:
            COLLECTION_LINK.symlink_to(REPO, target_is_directory=True)
        except FileExistsError:  # another xdist worker won the race
            pass
    if str(COLLECTIONS_ROOT) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS_ROOT))


_ensure_collection_link()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Emulator:
    """Thin client for the emulator's admin API."""

    def __init__(self, url):
        self.url = url.rstrip("/")

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def health(self):
        return self._call("GET", "/_emulator/health")

    def reset(self):
        return self._call("POST", "/_emulator/reset", {})

    def stats(self):
        return self._call("GET", "/_emulator/stats")

    def reset_stats(self):
        return self._call("POST", "/_emulator/stats/reset", {})

    def calls(self, name):
        """Number of calls to one operation, e.g. calls('ecs:ListContainerInstances')."""
        return self.stats()["calls"].get(name, 0)

    def faults(self, **settings):
        return self._call("POST", "/_emulator/faults", settings)

    def seed(self, cluster, count, **extra):
        return self._call("POST", "/_emulator/seed", dict(cluster=cluster, count=count, **extra))

    def activations(self):
        return self._call("GET", "/_emulator/activations")

    def env(self):
        """Environment for boto3 / ansible subprocesses pointed at this emulator."""
        env = dict(os.environ)
        env.update(aws_env(self.url))
        return env

    def client(self, service, region=REGION):
        import boto3
        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


def aws_env(url):
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT),
    }


@pytest.fixture(scope="session")
def emulator_url(tmp_path_factory):
    url = os.environ.get("HF_EMULATOR_URL")
    if url:
        yield url
        return
    port = _free_port()
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.sandbox.emulator", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, stdout=logf, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 60
    while True:
        try:
            Emulator(url).health()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("emulator did not start; log:\n" + log.read_text())
            time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def emulator(emulator_url):
    """The emulator, wiped (state, faults, stats) before each test."""
    emu = Emulator(emulator_url)
    emu.reset()
    yield emu
    emu.faults()
