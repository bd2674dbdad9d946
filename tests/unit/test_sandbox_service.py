"""tests/sandbox/service.sh never takes another process's server for its own.

A mirror left running by another checkout held the port; ours failed to bind, the health URL answered from
the other one, and `make mirror-up` said "running": molecule then fetched packages signed with the other
checkout's key and failed its signature checks.
"""
import http.server
import socket
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICE = REPO / "tests" / "sandbox" / "service.sh"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service(state, *args):
    env = {"PATH": "/usr/bin:/bin", "SANDBOX_DIR": str(state)}
    return subprocess.run([str(SERVICE)] + list(args), env=env, capture_output=True, text=True, check=False, timeout=60)


def test_refuses_a_port_another_server_answers_on(tmp_path):
    foreign = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/" % foreign.server_port
        ours = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(foreign.server_port)]
        result = service(tmp_path, "start", "mirror", url, *ours)
        assert result.returncode == 1
        assert "already answers, but not from this checkout's mirror" in result.stderr
        assert not (tmp_path / "mirror.pid").exists()
    finally:
        foreign.shutdown()


def test_starts_reports_and_stops_its_own(tmp_path):
    port = free_port()
    url = "http://127.0.0.1:%d/" % port
    started = service(tmp_path, "start", "mirror", url, sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                      str(port))
    try:
        assert started.returncode == 0, started.stderr
        assert started.stdout.startswith("mirror: running (pid ")
        again = service(tmp_path, "start", "mirror", url, "false")
        assert again.returncode == 0 and "already running" in again.stdout
    finally:
        stopped = service(tmp_path, "stop", "mirror")
    assert stopped.stdout.strip() == "mirror: stopped"
    assert service(tmp_path, "status", "mirror").stdout.strip() == "mirror: not running"
