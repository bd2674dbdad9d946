"""The proxy kept out of units and command lines: host_proxy's files as rendered for awkward proxy URLs,
read back the way sh (the roles' registration wrapper) and fetch.py (downloads on the host) read them,
and fetch.py really going through the proxy the file names, credentials decoded, no_proxy honoured."""
import base64
import functools
import http.server
import importlib.util
import json
import subprocess
import threading
import urllib.request

import pytest

from conftest import PLATFORMS, REPO, dump_task, run_playbook

ROLE = REPO / "roles" / "host_proxy"
# A password with the characters that break naive quoting: % (systemd specifiers), $ and ` (shells), " and \.
NASTY = 'http://ops:Pa%40ss$HOME`id`"\\q@proxy.corp:3128'


def load_fetch():
    spec = importlib.util.spec_from_file_location("fetch", REPO / "roles" / "signed_package" / "files" / "fetch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    hosts = {
        "nasty": {"facts": PLATFORMS["debian12"], "host_proxy_name": "amazon-ssm-agent", "host_proxy_unit": "amazon-ssm-agent",
                  "host_proxy_http": NASTY, "host_proxy_https": NASTY,
                  "host_proxy_no_proxy": "169.254.169.254,10.0.0.0/8,.corp.example,registry.local:5000,mirror.local"},
        "https_only": {"facts": PLATFORMS["rocky9"], "host_proxy_name": "docker", "host_proxy_unit": "docker",
                       "host_proxy_http": "", "host_proxy_https": "http://proxy:3128", "host_proxy_no_proxy": "localhost"},
    }
    tasks = [{"name": "Load host_proxy's internal variables",
              "ansible.builtin.include_vars": {"file": str(ROLE / "vars" / "main.yml")}},
             dump_task({name: "{{ lookup('ansible.builtin.template', '%s') }}" % (ROLE / "templates" / (name + ".j2"))
                        for name in ("proxy.env", "apt-proxy.conf", "dropin.conf")}
                       | {"env_file": "{{ _host_proxy_env_file }}", "apt_file": "{{ _host_proxy_apt_config }}",
                          "dropin_file": "{{ _host_proxy_dropin }}", "apt": "{{ _host_proxy_apt }}"})]
    dumps, dummy = run_playbook(tmp_path_factory.mktemp("proxy"), hosts, tasks)
    return dumps


def test_env_file_reads_back_exactly(rendered, tmp_path):
    """sh (the registration wrapper) and fetch.py read each value exactly as given; systemd's EnvironmentFile
    parser has the same double-quote rules (\\ \" \\` \\$) and does no % expansion."""
    env_file = tmp_path / "proxy.env"
    env_file.write_text(rendered["nasty"]["proxy.env"])
    out = subprocess.run(["sh", "-c", 'set -a; . "$0"; set +a; exec env -0', str(env_file)], env={}, check=True,
                         capture_output=True, text=True).stdout
    read_by_sh = dict(line.split("=", 1) for line in out.split("\0") if "=" in line)
    expected = {"http_proxy": NASTY, "HTTP_PROXY": NASTY, "https_proxy": NASTY, "HTTPS_PROXY": NASTY,
                "no_proxy": "169.254.169.254,10.0.0.0/8,.corp.example,registry.local:5000,mirror.local"}
    expected["NO_PROXY"] = expected["no_proxy"]
    assert {k: read_by_sh[k] for k in expected} == expected
    assert load_fetch().read_env_file(env_file) == expected
    assert rendered["nasty"]["env_file"] == "/etc/hybridfleet-ecs-anywhere/amazon-ssm-agent-proxy.env"
    # No empty assignment for a scheme without a proxy.
    assert "http_proxy" not in rendered["https_only"]["proxy.env"]


def test_dropin_names_the_file_only(rendered):
    dropin = rendered["nasty"]["dropin.conf"]
    body = [line for line in dropin.splitlines() if line and not line.startswith("#")]
    assert body == ["[Service]", "EnvironmentFile=/etc/hybridfleet-ecs-anywhere/amazon-ssm-agent-proxy.env"]
    assert "Pa%40ss" not in dropin
    assert rendered["nasty"]["dropin_file"] == "/etc/systemd/system/amazon-ssm-agent.service.d/hybridfleet-proxy.conf"


def test_apt_configuration(rendered):
    apt = [line for line in rendered["nasty"]["apt-proxy.conf"].splitlines() if line and not line.startswith("//")]
    quoted = NASTY.replace('"', "%22")  # apt strings cannot hold a double quote; apt decodes %22 in the credentials
    assert apt == ['Acquire::http::Proxy "%s";' % quoted,
                   'Acquire::http::Proxy::169.254.169.254 "DIRECT";',
                   'Acquire::http::Proxy::mirror.local "DIRECT";',
                   'Acquire::https::Proxy "%s";' % quoted,
                   'Acquire::https::Proxy::169.254.169.254 "DIRECT";',
                   'Acquire::https::Proxy::mirror.local "DIRECT";']
    assert rendered["nasty"]["apt"] is True and rendered["https_only"]["apt"] is False


class RecordingProxy(http.server.BaseHTTPRequestHandler):
    """A forward proxy for plain HTTP: records the absolute URL and the Proxy-Authorization it got."""
    seen = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        RecordingProxy.seen.append((self.path, self.headers.get("Proxy-Authorization", "")))
        with urllib.request.urlopen(self.path, timeout=10) as answer:  # no proxy in this process's environment
            body = answer.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def servers(tmp_path, monkeypatch):
    for key in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(key, raising=False)
    root = tmp_path / "www"
    root.mkdir()
    (root / "pkg.deb").write_bytes(b"package bytes")
    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler,
                                                                                 directory=str(root)))
    origin.RequestHandlerClass.log_message = lambda *a, **k: None
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingProxy)
    RecordingProxy.seen = []
    for server in (origin, proxy):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % origin.server_address[1], proxy.server_address[1]
    origin.shutdown()
    proxy.shutdown()


def run_fetch(tmp_path, env_text, url, force=False):
    env_file = tmp_path / "proxy.env"
    env_file.write_text(env_text)
    dest = tmp_path / url.rsplit("/", 1)[1]
    out = subprocess.run(["python3", str(REPO / "roles/signed_package/files/fetch.py"), "--env-file", str(env_file)]
                         + (["--force"] if force else []) + [url, str(dest)],
                         capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout), dest


def test_fetch_goes_through_the_proxy_of_the_file(tmp_path, servers):
    origin, proxy_port = servers
    env = 'http_proxy="http://ops:Pa%%40ss\\$1@127.0.0.1:%d"\n' % proxy_port
    result, dest = run_fetch(tmp_path, env, origin + "/pkg.deb")
    assert result == {"changed": True, "status": 200, "msg": "downloaded"}
    assert dest.read_bytes() == b"package bytes"
    ((path, auth),) = RecordingProxy.seen
    assert path == origin + "/pkg.deb"
    assert base64.b64decode(auth.split()[1]).decode() == "ops:Pa@ss$1"  # %-decoded, $ kept
    # Again without --force: the file is there, nothing is fetched.
    result, dest = run_fetch(tmp_path, env, origin + "/pkg.deb")
    assert result["changed"] is False and len(RecordingProxy.seen) == 1
    # With --force and the same bytes: fetched, but not a change.
    result, dest = run_fetch(tmp_path, env, origin + "/pkg.deb", force=True)
    assert result == {"changed": False, "status": 200, "msg": "unchanged"} and len(RecordingProxy.seen) == 2


def test_fetch_honours_no_proxy_and_reports_refusals(tmp_path, servers):
    origin, proxy_port = servers
    env = 'http_proxy="http://127.0.0.1:%d"\nno_proxy="127.0.0.1"\n' % proxy_port
    result, dest = run_fetch(tmp_path, env, origin + "/pkg.deb")
    assert result["status"] == 200 and RecordingProxy.seen == []
    result, dest = run_fetch(tmp_path, env, origin + "/missing.deb.sig")
    assert result == {"changed": False, "status": 404, "msg": "HTTP Error 404: File not found"}
    assert not dest.exists()
