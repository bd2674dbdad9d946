"""The sandbox's forward proxy: Debian's squid with BasicAuth and an access log of every request.

tinyproxy would be smaller, but its BasicAuth accepts only [-a-z0-9._] passwords, and the roles must
prove they carry a password with `@` and `%` intact and secret. squid checks it against an APR1 hash
(basic_ncsa_auth), so the plain password is only in `credentials.json` (0600, root) and in memory.

Files: the proxy's directory (under .sandbox) holds credentials.json (0600), proxy.json (address,
port, user, run directory: no password) and squid.pid. squid itself runs as `proxy`, which may not be
able to reach a checkout under a private home, so what it reads and writes is in a run directory of
its own under the system's temp dir (named for the network, like Docker's own names, machine-wide):
squid.conf, passwd (the hash, root:proxy 0640), access.log (one line per request: time, client, user,
method, URL or host:port for CONNECT, status, bytes, X-Amz-Target) and cache.log (squid's messages).
"""
import grp
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

SQUID = "/usr/sbin/squid"
PACKAGE = "squid"
PROXY_USER = "hf-proxy"
# squid refuses to run as root; Debian's package runs it as `proxy`.
RUN_AS = "proxy"
# target: the X-Amz-Target header of AWS JSON calls (which API: the sandbox's SSM and ECS share one
# endpoint), "-" for other requests and for anything inside a CONNECT tunnel.
LOG_FIELDS = ("time", "client", "user", "method", "url", "status", "bytes", "target")

CONFIG = """\
# Written by tests/sandbox/proxy/squid.py: a forward proxy for the sandbox's proxied hosts.
http_port {address}:{port}
visible_hostname hybridfleet-sandbox-proxy
pid_filename none
cache_log {run}/cache.log
logformat hybridfleet %ts.%03tu %>a %un %rm %ru %>Hs %<st %{{X-Amz-Target}}>h
access_log stdio:{run}/access.log hybridfleet
logfile_rotate 0
coredump_dir {run}
netdb_filename none
pinger_enable off
cache deny all
cache_mem 8 MB
max_filedescriptors 4096
shutdown_lifetime 1 seconds
auth_param basic program /usr/lib/squid/basic_ncsa_auth {passwd}
auth_param basic children 3
auth_param basic realm hybridfleet sandbox proxy
acl authenticated proxy_auth REQUIRED
# A host that sends its local calls (the ECS agent's 127.0.0.1:51678) here must not reach this
# machine's loopback instead: refused, and logged.
http_access deny to_localhost
http_access allow authenticated
http_access deny all
"""


def new_password():
    """A password with `@` and a `%` that looks like an escape (%41 is "A" if decoded twice)."""
    return "%s@%s%%41%s" % (secrets.token_hex(4), secrets.token_hex(4), secrets.token_hex(2))


def ensure_installed():
    """Debian's squid on this machine, through the sandbox's package installer (no service left running)."""
    if os.access(SQUID, os.X_OK):
        return
    engine = Path(__file__).resolve().parents[1] / "hosts" / "engine.sh"
    subprocess.run([str(engine), "install"], check=True, env=dict(os.environ, ENGINE_EXTRA_PACKAGES=PACKAGE))


def parse_line(line):
    entry = dict(zip(LOG_FIELDS, line.split()))
    if len(entry) != len(LOG_FIELDS):
        return None
    entry["status"], entry["bytes"] = int(entry["status"]), int(entry["bytes"])
    if entry["method"] == "CONNECT":
        entry["host"] = entry["url"].rsplit(":", 1)[0]
    else:
        entry["host"] = urllib.parse.urlsplit(entry["url"]).hostname or ""
    return entry


class ForwardProxy:
    """squid on `address:port` with BasicAuth, its files in `directory`."""

    def __init__(self, directory, address, port, user=PROXY_USER, password=None, run_dir=None):
        self.directory = Path(directory)
        self.address, self.port, self.user = address, int(port), user
        self.password = password
        self.run_dir = Path(run_dir or Path(tempfile.gettempdir()) / ("hybridfleet-proxy-" + self.directory.name))
        self.access_log = self.run_dir / "access.log"
        self.cache_log = self.run_dir / "cache.log"
        self.pidfile = self.directory / "squid.pid"

    @classmethod
    def load(cls, directory):
        """The proxy `up` wrote into `directory` (credentials only when readable: root)."""
        directory = Path(directory)
        info = json.loads((directory / "proxy.json").read_text())
        proxy = cls(directory, info["address"], info["port"], info["user"], run_dir=info["run_dir"])
        try:
            proxy.password = json.loads((directory / "credentials.json").read_text())["password"]
        except PermissionError:
            pass
        return proxy

    # -- what hosts and tests use --------------------------------------------------------------
    @property
    def plain_url(self):
        return "http://%s:%d" % (self.address, self.port)

    @property
    def url(self):
        """The proxy URL with credentials, percent-encoded as a URL's userinfo must be."""
        quote = lambda text: urllib.parse.quote(text, safe="")  # noqa: E731
        return "http://%s:%s@%s:%d" % (quote(self.user), quote(self.password), self.address, self.port)

    def log_size(self):
        """A mark for requests(since=...)."""
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def requests(self, since=0):
        """Requests squid logged (after it answered; a CONNECT once its tunnel closed)."""
        if not self.access_log.exists():
            return []
        with open(self.access_log, "rb") as handle:
            handle.seek(since)
            lines = handle.read().decode(errors="replace").splitlines()
        # method "-": a connection closed before any request (start()'s own readiness probe).
        return [entry for entry in map(parse_line, lines) if entry and entry["method"] != "-"]

    # -- lifecycle --------------------------------------------------------------------------------
    def pid(self):
        try:
            pid = int(self.pidfile.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def _write_files(self):
        proxy_gid = grp.getgrnam(RUN_AS).gr_gid
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)  # a crashed run's leftovers
        self.run_dir.mkdir(mode=0o750)
        shutil.chown(self.run_dir, RUN_AS, RUN_AS)
        if self.password is None:
            self.password = new_password()
        credentials = self.directory / "credentials.json"
        credentials.touch(mode=0o600)
        credentials.chmod(0o600)
        credentials.write_text(json.dumps({"user": self.user, "password": self.password}))
        hashed = subprocess.run(["openssl", "passwd", "-apr1", "-stdin"], input=self.password, check=True,
                                text=True, stdout=subprocess.PIPE).stdout.strip()
        passwd = self.run_dir / "passwd"
        passwd.write_text("%s:%s\n" % (self.user, hashed))
        os.chown(passwd, 0, proxy_gid)
        passwd.chmod(0o640)
        (self.directory / "proxy.json").write_text(json.dumps(
            {"address": self.address, "port": self.port, "user": self.user, "url": self.plain_url,
             "run_dir": str(self.run_dir)}))
        config = self.run_dir / "squid.conf"
        config.write_text(CONFIG.format(address=self.address, port=self.port, run=self.run_dir, passwd=passwd))
        checked = subprocess.run([SQUID, "-k", "parse", "-f", str(config)], text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if checked.returncode != 0:
            raise RuntimeError("squid rejects %s:\n%s" % (config, checked.stdout[-3000:]))
        return config

    def answers(self):
        try:
            with socket.create_connection((self.address, self.port), timeout=2):
                return True
        except OSError:
            return False

    def start(self, timeout=60):
        """Start squid (once: a running one is kept) and wait until it accepts connections."""
        if self.pid():
            return self
        ensure_installed()
        config = self._write_files()
        with open(self.run_dir / "squid.out", "ab") as out:
            proc = subprocess.Popen([SQUID, "-N", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.pidfile.write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while not self.answers():
            if proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = self.cache_log.read_text(errors="replace")[-3000:] if self.cache_log.exists() else ""
                raise RuntimeError("squid did not come up on %s:%d; cache.log:\n%s" % (self.address, self.port, log))
            time.sleep(0.2)
        return self

    def stop(self):
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):  # shutdown_lifetime is 1 s
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                # Reap it when it is our own child (the pytest fixture's case).
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        self.pidfile.unlink(missing_ok=True)

    def remove_files(self):
        """Everything but a running squid: the run directory and the proxy's directory."""
        shutil.rmtree(self.run_dir, ignore_errors=True)
        shutil.rmtree(self.directory, ignore_errors=True)
