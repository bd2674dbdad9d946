"""A controller that is not root: a local user with no sudo rights, as an operator's laptop account or
an AWX execution environment runs ansible-playbook.

CI and the sandbox run as root, where Ansible skips a `become` to the same user, so a play that
escalates on the controller by mistake passes there and fails in the field. ControllerUser creates a
local user on this machine (no password, in no group but its own, no sudoers entry; `sudo` itself is
installed so that a `become` meets the same refusal as on a laptop), gives it its own HOME and temp
dir and a copy of the fleet's SSH key, lets it reach the venv, the checkout and the sandbox's files,
and runs commands as that user with the environment a test gives. remove() takes all of it back.

Reaching the venv may need more than the checkout: its python can live under a private home (pyenv
under /root). Where a directory on the way is closed to others, the user gets a POSIX ACL entry for
that directory only (traverse, or read where it must list), and loses it again in remove().
"""
import copy
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.sandbox import settings

# Debian packages on this machine: setfacl, and sudo (what refuses the `become`).
PACKAGES = ("acl", "sudo")
ENGINE = Path(__file__).resolve().parent / "hosts" / "engine.sh"
VENV_BIN = Path(sys.executable).parent


def ensure_packages():
    if not (shutil.which("setfacl") and shutil.which("sudo")):
        subprocess.run([str(ENGINE), "install"], check=True,
                       env=dict(os.environ, ENGINE_EXTRA_PACKAGES=" ".join(PACKAGES)))


def _others_may(path, bits):
    return path.stat().st_mode & bits == bits


class ControllerUser:
    """One unprivileged local user for a test: create(), run(...), remove()."""

    def __init__(self, name=None):
        self.name = name or "hfctl%d%s" % (os.getpid(), secrets.token_hex(2))
        self.base = self.home = self.key = None
        self.uid = self.gid = None
        self._acls = []  # paths given an ACL entry for this user

    # -- set-up and clean-up -------------------------------------------------------------------------
    def create(self):
        ensure_packages()
        self.base = Path(tempfile.mkdtemp(prefix="hf-controller-"))
        self.base.chmod(0o755)
        self.home = self.base / "home"
        subprocess.run(["useradd", "--home-dir", str(self.home), "--create-home", "--shell", "/bin/bash",
                        "--user-group", "--no-log-init", self.name], check=True, capture_output=True)
        entry = pwd.getpwnam(self.name)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        self.home.chmod(0o700)
        self.tmp = self._mkdir(self.home / "tmp")
        ssh_dir = self._mkdir(self.home / ".ssh")
        from tests.sandbox.fleet import ssh_key
        self.key = self._copy(ssh_key(), ssh_dir / "id_ed25519", 0o600)
        self._copy(ssh_key().with_suffix(".pub"), ssh_dir / "id_ed25519.pub", 0o644)
        for needed in (Path(sys.executable).resolve(), Path(sys.prefix), Path(sys.base_prefix), settings.REPO,
                       settings.STATE):
            self.grant(needed)
        return self

    def remove(self):
        """Stop what still runs as the user (ssh ControlPersist masters), take back ACLs, delete user and files."""
        if self.uid is not None:
            for pid in self.pids():
                self._signal(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while self.pids() and time.monotonic() < deadline:
                time.sleep(0.2)
            for pid in self.pids():
                self._signal(pid, signal.SIGKILL)
        for path in reversed(self._acls):
            subprocess.run(["setfacl", "-x", "u:%s" % self.name, str(path)], check=False, capture_output=True)
        self._acls = []
        if self.exists():
            subprocess.run(["userdel", "--remove", self.name], check=True, capture_output=True)
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)

    def exists(self):
        try:
            pwd.getpwnam(self.name)
            return True
        except KeyError:
            return False

    def pids(self):
        """Processes running as the user (read from /proc, so each can be stopped by its own id)."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                uid_line = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
            except (OSError, StopIteration):
                continue
            if int(uid_line.split()[1]) == self.uid:
                found.append(int(status.parent.name))
        return found

    @staticmethod
    def _signal(pid, sig):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def grant(self, path):
        """Let the user reach `path` (and read it, or list it): an ACL entry only where others may not."""
        path = Path(path)
        for parent in reversed(path.parents):
            if parent.is_dir() and not _others_may(parent, 0o001):
                self._setfacl(parent, "x")
        if path.exists():
            wanted = 0o005 if path.is_dir() else 0o004
            if not _others_may(path, wanted):
                self._setfacl(path, "rx" if path.is_dir() else "r")

    def _setfacl(self, path, perms):
        subprocess.run(["setfacl", "-m", "u:%s:%s" % (self.name, perms), str(path)], check=True, capture_output=True)
        self._acls.append(path)

    def _mkdir(self, path):
        path.mkdir(mode=0o700, exist_ok=True)
        os.chown(path, self.uid, self.gid)
        return path

    def _copy(self, src, dest, mode):
        shutil.copyfile(src, dest)
        os.chown(dest, self.uid, self.gid)
        dest.chmod(mode)
        return dest

    # -- what tests use ---------------------------------------------------------------------------------
    def bin(self, name):
        """A venv executable: ansible-playbook, ansible, ansible-inventory..."""
        return str(VENV_BIN / name)

    def env(self, extra=None):
        """A login-like environment of the user's own (nothing of root's), plus `extra` (AWS_*, ...)."""
        env = {
            "HOME": str(self.home), "USER": self.name, "LOGNAME": self.name, "TMPDIR": str(self.tmp),
            "PATH": "%s:/usr/local/bin:/usr/bin:/bin" % VENV_BIN, "LANG": "C.UTF-8", "SHELL": "/bin/bash",
            "ANSIBLE_COLLECTIONS_PATH": str(settings.REPO / ".build" / "collections"),
            "ANSIBLE_NOCOLOR": "1",
        }
        env.update(extra or {})
        return env

    def run(self, argv, env=None, cwd=None, timeout=600, input=None):
        """Run `argv` as the user (its uid, gid and no other group) in `env` (default: env()); never raises on rc."""
        return subprocess.run(argv, env=env if env is not None else self.env(), cwd=str(cwd or self.home),
                              user=self.uid, group=self.gid, extra_groups=[], input=input, text=True,
                              capture_output=True, timeout=timeout, check=False)

    def write(self, name, text, mode=0o600):
        """A file of the user's own in its HOME."""
        path = self.home / name
        path.write_text(text)
        os.chown(path, self.uid, self.gid)
        path.chmod(mode)
        return path

    def inventory(self, inventory, name="inventory.yml"):
        """An inventory (dict, e.g. Fleet.inventory("ops")) written for the user, with its own key copy."""
        import yaml

        def with_own_key(node):
            if isinstance(node, dict):
                return {k: (str(self.key) if k == "ansible_ssh_private_key_file" else with_own_key(v))
                        for k, v in node.items()}
            return node
        return self.write(name, yaml.safe_dump(with_own_key(copy.deepcopy(inventory)), sort_keys=False))
