"""`make demo` (which runs `make sandbox-up`) and `make build` as a newcomer runs them: in a clean copy of the checkout
(every tracked or new, non-ignored file; no .sandbox, no .build), with its own ports and fleet name so it
never touches a sandbox already running here. Then every command they print, as printed, from a clean
shell: no venv on PATH, no AWS_*, no make variables but those the printed command carries itself."""
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import urllib.request

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.hosts

EXPLORE = "Done. Explore the sandbox (it keeps running):"
TEARDOWN = "Tear it down with:"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_checkout(root, venv=True):
    """The files a fresh clone of this tree has, plus (unless venv=False) the already built venv."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = REPO / name
        if src.is_file():
            dest = root / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    if venv:
        (root / ".venv").symlink_to(REPO / ".venv")  # pip is not the subject
    return root


@pytest.fixture
def checkout(tmp_path):
    return copy_checkout(tmp_path / "checkout")


def clean_env(**make_vars):
    """A new login shell's environment: no venv on PATH, nothing of AWS, Ansible or the sandbox."""
    path = ":".join(p for p in os.environ["PATH"].split(":") if "/.venv/" not in p.rstrip("/") + "/")
    env = {"HOME": os.environ["HOME"], "PATH": path, "LANG": "C.UTF-8", "TERM": "dumb"}
    env.update(make_vars)
    return env


def sandbox_vars():
    """Make variables that keep a test's sandbox apart from any other on this machine."""
    return {"EMULATOR_PORT": str(free_port()), "MIRROR_PORT": str(free_port()), "FLEET": "demo%d" % os.getpid()}


def make(checkout, target, env, *args, timeout=2700):
    proc = subprocess.run(["make", "--no-print-directory", target] + list(args), cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return proc, proc.stdout + proc.stderr


def typed(checkout, lines, tty=False, input=None, timeout=900):
    """`lines` typed one after another into one new shell in the checkout (a pty when `tty`)."""
    script = "set -e\n" + "\n".join(lines)
    argv = ["bash", "-c", script]
    if tty:  # `docker exec -it` wants a terminal, as a user's shell has
        argv = ["script", "-qec", "bash -c %s" % shlex.quote(script), "/dev/null"]
    proc = subprocess.run(argv, cwd=checkout, env=clean_env(), input=input, capture_output=True, text=True,
                          timeout=timeout)
    return proc, proc.stdout + proc.stderr


def teardown(checkout, env):
    """`make sandbox-down` for this test's sandbox (also after a failure), then nothing of it may be left."""
    make(checkout, "sandbox-down", env, timeout=300)
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "label=io.hybridfleet.sandbox=%s" % env["FLEET"]],
                          capture_output=True, text=True).stdout.split()
    assert not left
    assert not (checkout / ".sandbox" / "env").exists()


def recap_ok(out):
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)", out, re.M)
    return bool(recap) and all(unreachable == failed == "0" for _, unreachable, failed in recap)


def test_make_build_needs_only_ansible_core(tmp_path):
    """The tarball builds without the test toolchain: no .venv, a build venv with ansible-core alone."""
    checkout = copy_checkout(tmp_path / "checkout", venv=False)
    proc, out = make(checkout, "build", clean_env(), timeout=600)
    assert proc.returncode == 0, out[-4000:]
    assert not (checkout / ".venv").exists()
    (tarball,) = (checkout / ".build" / "dist").glob("hybridfleet-ecs_anywhere-*.tar.gz")
    listed = subprocess.run(["tar", "-tzf", str(tarball)], check=True, capture_output=True, text=True).stdout.split()
    assert "MANIFEST.json" in listed and "plugins/modules/ssm_activation.py" in listed
    packages = json.loads(subprocess.run([str(checkout / ".build" / "build-venv" / "bin" / "python"), "-m", "pip",
                                          "list", "--format", "json"], check=True, capture_output=True,
                                         text=True).stdout)
    names = {p["name"].lower() for p in packages}
    assert "ansible-core" in names
    assert not names & {"molecule", "pytest", "moto", "ansible-lint", "boto3", "ansible"}, names


def test_make_demo_from_a_clean_checkout_and_what_it_prints(checkout):
    env = clean_env(**sandbox_vars())
    try:
        proc, out = make(checkout, "demo", env)
        assert proc.returncode == 0, out[-8000:]
        for number, word in ((1, "register"), (2, "fleet"), (3, "agent_update"), (4, "EXTERNAL service"),
                             (5, "drain_and_deregister"), (6, "fleet")):
            assert re.search(r"== step %d: .*%s" % (number, word), out), "step %d missing" % number
        # The summary tables of the playbooks reach the console.
        assert re.search(r"HOST\s+MANAGED INSTANCE\s+CONTAINER INSTANCE\s+STATUS\s+AGENT\b", out), out[-6000:]
        assert "updated to" in out and "deregistered and cleaned" in out
        # No activation code leaked to the console or the logs.
        logs = "".join(p.read_text() for p in (checkout / ".sandbox").glob("demo-*.log"))
        with urllib.request.urlopen("http://127.0.0.1:%s/_emulator/activations" % env["EMULATOR_PORT"]) as resp:
            activations = json.load(resp)["activations"]
        assert activations
        for activation in activations:
            assert activation["ActivationCode"] not in out + logs
            assert activation["Deleted"]

        # What the newcomer is told to type next, each line as printed, in a new shell.
        explore = out.split(EXPLORE, 1)[1].split(TEARDOWN, 1)[0].strip().splitlines()
        commands = [line.strip() for line in explore]
        assert commands[0].startswith(". .sandbox/env ")
        source = commands[0]
        for command in commands[1:]:
            if command.startswith("docker exec -it "):
                proc, shown = typed(checkout, [source, command], tty=True, input="hostname; exit\n", timeout=60)
                assert proc.returncode == 0 and command.split()[3] in shown, shown[-2000:]
                continue
            proc, shown = typed(checkout, [source, command])
            assert proc.returncode == 0, "%s\n%s" % (command, shown[-6000:])
            if command.startswith("ansible-playbook "):
                assert recap_ok(shown), shown[-6000:]
            if command.startswith("ansible "):
                assert shown.count("SUCCESS") == len(re.findall(r"^hf-", shown, re.M)) >= 3, shown[-3000:]
        # `make sandbox-up` (the demo's first step) printed the command that enrolls its hosts: typed as printed it
        # works (here on hosts already enrolled, so it leaves each agent as it is).
        (printed,) = re.findall(r"^sandbox up: (.+)$", out, re.M)
        proc, shown = typed(checkout, [printed])
        assert proc.returncode == 0 and recap_ok(shown), shown[-6000:]
        (down,) = out.split(TEARDOWN, 1)[1].strip().splitlines()[:1]
        proc, shown = typed(checkout, [down.strip()], timeout=300)
        assert proc.returncode == 0, shown[-3000:]
        left = subprocess.run(["docker", "ps", "-aq", "--filter", "label=io.hybridfleet.sandbox=%s" % env["FLEET"]],
                              capture_output=True, text=True).stdout.split()
        assert not left, "the printed teardown left hosts: %s" % left
    finally:
        teardown(checkout, env)
