"""The script agent_update sends over SSM Run Command (playbooks/templates/agent_update_ssm.sh.j2), run for real
with sh, curl, sha256sum and gpg, against packages in a local directory (file:// URLs) and throw-away keys.
dpkg, dpkg-query and systemctl are stand-ins that record what they were asked.

It installs only a package that is byte for byte the one the controller verified (its SHA-256 in the script)
and whose signature verifies against the pinned key; anything else exits non-zero naming why, with nothing
installed and nothing restarted.
"""
import hashlib
import os
import subprocess

import jinja2
import pytest

from conftest import REPO
from gpgkeys import Key, gpg

TEMPLATE = REPO / "playbooks" / "templates" / "agent_update_ssm.sh.j2"
WANTED = "1.105.1-1"
STUBS = {
    "dpkg-query": 'case "$*" in *amazon-ssm-agent*) echo "$SSM_INSTALLED" ;; *Version*) echo "$INSTALLED" ;; esac',
    "dpkg": 'case "$1" in --print-architecture) echo amd64 ;; --compare-versions) exit 1 ;; '
            '-i) echo "dpkg -i" >> "$CALLS" ;; esac',
    "systemctl": 'echo "systemctl $*" >> "$CALLS"',
    "systemd-run": 'shift 3; echo "systemd-run $*" >> "$CALLS"',
}
SSM_WANTED = "3.3.1100.0"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    base = tmp_path_factory.mktemp("keys")
    made = {"pinned": Key(base, "Pinned"), "other": Key(base, "Other")}
    yield made
    for key in made.values():
        key.stop()


@pytest.fixture
def host(tmp_path):
    """A stand-in host: stubs first on PATH, a log of the calls they got."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, body in STUBS.items():
        (stubs / name).write_text("#!/bin/sh\n" + body + "\n")
        (stubs / name).chmod(0o755)
    # No TMPDIR: the script's mktemp -d holds gpg's home, and under pytest's deep tmp path the agent's socket path
    # would pass the 107-byte limit (on a host it is /tmp/tmp.XXXXXXXXXX/gnupg).
    return {"PATH": "%s:%s" % (stubs, os.environ["PATH"]), "CALLS": str(tmp_path / "calls"), "INSTALLED": "1.100.0-1",
            "SSM_INSTALLED": "3.3.1000.0-1", "HOME": str(tmp_path)}


def publish(tmp_path, signer, content=b"amazon-ecs-init package bytes", name="amazon-ecs-init-%s.amd64.deb" % WANTED,
            suffix=".asc"):
    package = tmp_path / "mirror" / name
    package.parent.mkdir(exist_ok=True)
    package.write_bytes(content)
    signer.sign(package, suffix)
    return "file://%s" % package, hashlib.sha256(content).hexdigest()


def script(keys, packages, verified, ssm=False, tmp_path=None):
    public = gpg(keys["pinned"].home, "--armor", "--export").stdout.decode()
    pinned = {"fingerprints": [keys["pinned"].fpr]}
    return jinja2.Template(TEMPLATE.read_text()).render(
        _ea_run_id="test", _ea_agent_version=WANTED, _ea_allow_downgrade=False, __ea_packages=packages,
        signed_package_verified=verified, _ea_update_ssm_agent=ssm, _ea_ssm_agent_version=SSM_WANTED,
        _ea_ssm_agent_host_cache_dir=str(tmp_path / "ssm-cache") if tmp_path else "",
        __ea_keys={name: {"file": dict(pinned, signature_suffix=suffix), "key_text": public}
                   for name, suffix in (("amazon-ecs-init", ".asc"), ("amazon-ssm-agent", ".sig"))})


def run(tmp_path, host, text):
    path = tmp_path / "script.sh"
    path.write_text(text)
    proc = subprocess.run(["sh", str(path)], env=host, capture_output=True, text=True, timeout=60, check=False)
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return proc, calls


def test_installs_the_verified_package_and_restarts_the_agent(tmp_path, host, keys):
    url, sha = publish(tmp_path, keys["pinned"])
    proc, calls = run(tmp_path, host, script(keys, [{"name": "amazon-ecs-init", "format": "deb", "arch": "amd64", "url": url}], {url: sha}))
    assert proc.returncode == 0, proc.stderr
    assert "signature verified (%s" % keys["pinned"].fpr in proc.stdout
    assert calls == ["dpkg -i", "systemctl restart ecs"]


@pytest.mark.parametrize("case, signer, package, refusal", [
    # Signed by the pinned key, so only the SHA-256 can tell it is not what the controller checked.
    ("another file", "pinned", ("deb", "amd64"), "is not the file the controller verified (SHA-256 "),
    ("no package for this host", "pinned", ("rpm", "x86_64"), "the controller verified no deb amazon-ecs-init package for amd64"),
    ("unpinned signer", "other", ("deb", "amd64"), "does not verify: nothing was installed"),
])
def test_refuses_and_installs_nothing(tmp_path, host, keys, case, signer, package, refusal):
    url, sha = publish(tmp_path, keys[signer])
    if case == "another file":
        sha = hashlib.sha256(b"what the controller downloaded").hexdigest()
    proc, calls = run(tmp_path, host, script(keys, [{"name": "amazon-ecs-init", "format": package[0], "arch": package[1], "url": url}], {url: sha}))
    assert proc.returncode == 1
    assert refusal in proc.stderr and "nothing was installed" in proc.stderr
    assert calls == []


def test_an_installed_target_version_is_only_restarted(tmp_path, host, keys):
    host["INSTALLED"] = WANTED
    proc, calls = run(tmp_path, host, script(keys, [], {}))
    assert proc.returncode == 0, proc.stderr
    assert calls == ["systemctl restart ecs"]


def test_the_ssm_agent_installs_outside_the_command_from_the_verified_file(tmp_path, host, keys):
    """The SSM agent's package restarts the agent that runs the script: the install is handed to a transient unit."""
    host["INSTALLED"] = WANTED
    url, sha = publish(tmp_path, keys["pinned"], b"amazon-ssm-agent package bytes", "amazon-ssm-agent.deb", ".sig")
    packages = [{"name": "amazon-ssm-agent", "format": "deb", "arch": "amd64", "url": url}]
    proc, calls = run(tmp_path, host, script(keys, packages, {url: sha}, ssm=True, tmp_path=tmp_path))
    assert proc.returncode == 0, proc.stderr
    kept = tmp_path / "ssm-cache" / "amazon-ssm-agent.deb"
    assert kept.read_bytes() == b"amazon-ssm-agent package bytes" and oct(kept.stat().st_mode & 0o777) == "0o600"
    assert calls == ["systemctl restart ecs",
                     "systemd-run --on-active=5 /bin/sh -c dpkg -i %s && systemctl restart amazon-ssm-agent" % kept]
    assert "amazon-ssm-agent: signature verified" in proc.stdout


@pytest.mark.parametrize("installed, refusal", [("3.3.1100.0-1", None), ("3.3.1000.0-1", "is not the file the controller verified")])
def test_the_ssm_agent_at_the_version_is_left_alone_and_another_file_refused(tmp_path, host, keys, installed, refusal):
    host["INSTALLED"], host["SSM_INSTALLED"] = WANTED, installed
    url = publish(tmp_path, keys["pinned"], b"amazon-ssm-agent package bytes", "amazon-ssm-agent.deb", ".sig")[0]
    packages = [{"name": "amazon-ssm-agent", "format": "deb", "arch": "amd64", "url": url}]
    proc, calls = run(tmp_path, host, script(keys, packages, {url: "0" * 64}, ssm=True, tmp_path=tmp_path))
    assert calls == ["systemctl restart ecs"]
    if refusal:
        assert proc.returncode == 1 and refusal in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
