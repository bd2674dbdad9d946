"""The CLI contract: extra listeners, timing and IAM options, state dir, clean SIGTERM shutdown."""
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url, path):
    with urllib.request.urlopen(url + path, timeout=60) as resp:
        return json.loads(resp.read())


def _post(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def test_two_listeners_share_state_and_sigterm_stops_cleanly(tmp_path):
    main_port, extra_port = _free_port(), _free_port()
    state_dir = tmp_path / "state"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.sandbox.emulator", "--host", "127.0.0.1", "--port", str(main_port),
         "--listen", "127.0.0.1:%d" % extra_port, "--heartbeat-timeout", "7", "--drain-delay", "1.5",
         "--agent-connected-window", "9", "--enforce-iam", "--state-dir", str(state_dir)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    main_url, extra_url = "http://127.0.0.1:%d" % main_port, "http://127.0.0.1:%d" % extra_port
    try:
        deadline = time.monotonic() + 90  # generous: CI machines can be heavily loaded
        while True:
            try:
                _get(main_url, "/_emulator/health")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
                time.sleep(0.1)
        config = _get(extra_url, "/_emulator/config")
        assert (config["heartbeat_timeout"], config["drain_delay"], config["agent_connected_window"],
                config["enforce_iam"]) == (7, 1.5, 9, True)
        _post(main_url, "/_emulator/seed", {"cluster": "both", "count": 2})
        assert _get(extra_url, "/_emulator/activations")["activations"][0]["RegistrationsCount"] == 2
        info = json.loads((state_dir / "emulator.json").read_text())
        assert info["pid"] == proc.pid and set(info["urls"]) == {main_url, extra_url}
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
    stderr = proc.stderr.read().decode()
    assert rc == 0, stderr
    assert "listening on" in stderr and "shutting down" in stderr
    assert not (state_dir / "emulator.json").exists()


def test_bad_listen_address_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "tests.sandbox.emulator", "--listen", "nonsense"],
                          cwd=REPO, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "HOST:PORT" in proc.stderr
