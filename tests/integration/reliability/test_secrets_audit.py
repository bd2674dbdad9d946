"""Secrets audit: the activation code occurs nowhere but where AWS's own agent keeps it, the proxy password
nowhere but in root-only files on the host.

One sandbox host, whose only way out is the sandbox's forward proxy (squid, BasicAuth, a password with `@` and
`%41` in it), enrolls twice with `ecs_anywhere_proxy` set, each time with a fresh activation whose real code is
read back from the emulator (`/_emulator/activations`):
1. `ansible-playbook -vvvv` with a JSON fact cache, the log file (log_path), the controller's temp and async
   dirs pointed into this test's tmp dir, and pipelining off (Ansible's default: module files with their
   arguments are copied to the host's ~/.ansible/tmp);
2. after a drain_and_deregister, through ansible-runner (verbosity 4) with its artifacts (stdout,
   job_events, command, fact_cache), as AWX runs it.
Then both codes and the proxy password (as given and percent-encoded) are searched for, byte for byte, in
everything those runs wrote and in every file on the host (root file system, /tmp, /run, the Docker volume;
not /proc, /sys). The SSM agent's vault is the one place allowed to hold a code; the password may sit only in
files that are root's and mode 0600 (the services' proxy environment files). Each search first finds planted
canary files, so a search that cannot see is caught. The proxy's log shows the registration and both agents'
calls went through it.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fault_fixtures sits beside this file
from fault_fixtures import host_mi  # noqa: E402
from test_playbooks_harness import ANSIBLE_PLAYBOOK, activations_report, playbook_env, run_playbook  # noqa: E402
from tests.conftest import COLLECTIONS_ROOT  # noqa: E402
from tests.sandbox import settings  # noqa: E402

pytestmark = pytest.mark.hosts
HOST_COUNT = 1
PROXIED = True  # fault_fleet puts the host on the proxied network
PROJECT = settings.REPO / "docs" / "awx" / "project"
VAULT = "/var/lib/amazon/ssm/Vault/"
# The host's file systems: / and the separate mounts -xdev would skip (tmpfs /tmp and /run, the Docker volume).
HOST_MOUNTS = ["/", "/tmp", "/run", "/var/lib/docker"]
TIMES = {}


def controller_hits(root, codes):
    """Files under `root` that contain any of the codes (bytes, so binary files count too)."""
    wanted = [c.encode() for c in codes]
    hits = []
    for path in Path(root).rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(c in data for c in wanted):
                hits.append(str(path))
    return sorted(hits)


def host_hits(host, codes):
    """Files on the host holding any code: find -xdev on each mount, grep -F for each code."""
    # Codes are [A-Za-z0-9+/], the proxy password hex with @ and %: all safe in single quotes.
    patterns = "".join("-e '%s' " % c for c in codes)
    script = ("for m in %s; do find \"$m\" -xdev -type f -not -path '/proc/*' -not -path '/sys/*' -print0 "
              "| xargs -0 -r grep -lF %s 2>/dev/null; done | sort -u; true" % (" ".join(HOST_MOUNTS), patterns))
    return host.exec(script, timeout=600).stdout.split()


def audit_env(base, tmp):
    """Where a controller writes during a run, all under `tmp` so this run's files can be searched."""
    for name in ("local-tmp", "async", "fact-cache"):
        (tmp / name).mkdir(exist_ok=True)
    return dict(base, ANSIBLE_LOCAL_TEMP=str(tmp / "local-tmp"), ANSIBLE_ASYNC_DIR=str(tmp / "async"),
                ANSIBLE_CACHE_PLUGIN="jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp / "fact-cache"),
                ANSIBLE_LOG_PATH=str(tmp / "ansible.log"), ANSIBLE_PIPELINING="False", ANSIBLE_KEEP_REMOTE_FILES="False")


@pytest.fixture(scope="module")
def audit(fault_fleet, fault_emulator, forward_proxy, sandbox_versions, tmp_path_factory):
    """Both enrollments; returns what the audit searches."""
    (host,), inventory = fault_fleet
    version = "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_old"]
    # The proxy URL is an input, as an inventory or an AWX credential would hold it: outside the searched dirs.
    proxy_vars = tmp_path_factory.mktemp("inputs") / "proxy.yml"
    proxy_vars.write_text(yaml.safe_dump({"ecs_anywhere_proxy": forward_proxy.url}))
    proxy_mark = forward_proxy.log_size()

    # 1. ansible-playbook -vvvv, stdout and stderr kept apart.
    direct = tmp_path_factory.mktemp("direct")
    env = audit_env(playbook_env(fault_emulator), direct)
    start = time.monotonic()
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "hybridfleet.ecs_anywhere.register", "-i", inventory, "-vvvv", "-e", version,
                           "-e", "@%s" % proxy_vars],
                          cwd=settings.REPO, env=env, capture_output=True, text=True, timeout=1200)
    TIMES["register -vvvv (1 host, fresh)"] = round(time.monotonic() - start, 1)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    (direct / "stdout").write_text(proc.stdout)
    (direct / "stderr").write_text(proc.stderr)
    first = [a["ActivationCode"] for a in activations_report(fault_emulator)]
    assert len(first) == 1

    # Back to an unregistered host (Docker and the agents' packages stay: the second run is quicker).
    drained = run_playbook("drain_and_deregister", inventory, fault_emulator, "--limit", host.name, "-e", "ecs_anywhere_poll_interval=2",
                           "-e", "@%s" % proxy_vars)
    assert drained.rc == 0, drained.tail
    assert host_mi(host) is None

    # 2. ansible-runner with AWX's private data dir layout, verbosity 4.
    runner_dir = tmp_path_factory.mktemp("runner")
    data = yaml.safe_load(Path(inventory).read_text())
    group_vars = data["all"]["children"]["ecs_anywhere"]["vars"]
    key = Path(group_vars.pop("ansible_ssh_private_key_file"))
    (runner_dir / "inventory").mkdir()
    (runner_dir / "inventory" / "hosts").write_text(yaml.safe_dump(data, sort_keys=False))
    (runner_dir / "env").mkdir()
    (runner_dir / "env" / "ssh_key").write_text(key.read_text())
    runner_tmp = tmp_path_factory.mktemp("runner-controller")
    envvars = audit_env({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                         "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT), "ANSIBLE_HOST_KEY_CHECKING": "False",
                         "ANSIBLE_NOCOLOR": "1"}, runner_tmp)
    envvars.pop("ANSIBLE_CACHE_PLUGIN")  # ansible-runner keeps its own JSON fact cache in the artifacts
    envvars.pop("ANSIBLE_CACHE_PLUGIN_CONNECTION")
    (runner_dir / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (runner_dir / "env" / "extravars").write_text(yaml.safe_dump({
        "ecs_anywhere_cluster": "hybrid-cluster", "ecs_anywhere_region": settings.REGION,
        "ecs_anywhere_agent_version": sandbox_versions["ecs_old"], "ecs_anywhere_proxy": forward_proxy.url}))
    shutil.copytree(PROJECT, runner_dir / "project")
    import ansible_runner
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + old_path  # this venv's ansible-playbook
    start = time.monotonic()
    try:
        run = ansible_runner.run(private_data_dir=str(runner_dir), playbook="register.yml", verbosity=4, quiet=True,
                                 timeout=1200)
    finally:
        os.environ["PATH"] = old_path
    TIMES["register through ansible-runner, verbosity 4 (1 host, Docker present)"] = round(time.monotonic() - start, 1)
    assert (run.status, run.rc) == ("successful", 0), run.stdout.read()[-5000:]
    codes = [a["ActivationCode"] for a in activations_report(fault_emulator)]
    assert len(codes) == 2 and codes[0] == first[0] and all(a["Deleted"] for a in activations_report(fault_emulator))

    # 3. agent_update over SSM Run Command (no SSH to the host), -vvvv: the host downloads through the proxy its SSM
    #    agent was given at enrollment; what SSM keeps of the command (script, output) is saved to be searched too.
    over_ssm = tmp_path_factory.mktemp("over-ssm")
    data["all"]["children"]["ecs_anywhere"]["hosts"][host.name]["ecs_anywhere_managed_instance_id"] = host_mi(host)
    (over_ssm / "inventory.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    start = time.monotonic()
    updated = subprocess.run([ANSIBLE_PLAYBOOK, "hybridfleet.ecs_anywhere.agent_update", "-i", str(over_ssm / "inventory.yml"),
                              "-vvvv", "-e", "ecs_anywhere_transport=ssm", "-e", "@%s" % proxy_vars,
                              "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_new"]],
                             cwd=settings.REPO, env=audit_env(playbook_env(fault_emulator), over_ssm), capture_output=True,
                             text=True, timeout=900)
    TIMES["agent_update over SSM Run Command, -vvvv (1 host)"] = round(time.monotonic() - start, 1)
    assert updated.returncode == 0, updated.stdout[-5000:] + updated.stderr[-3000:]
    (over_ssm / "stdout").write_text(updated.stdout)
    (over_ssm / "stderr").write_text(updated.stderr)
    ssm = fault_emulator.client("ssm")
    commands = ssm.list_commands()["Commands"]
    (over_ssm / "ssm-commands.json").write_text(json.dumps(
        [commands, ssm.list_command_invocations(Details=True)["CommandInvocations"]], default=str))

    proxied = [r for r in forward_proxy.requests(proxy_mark) if r["client"] == host.address]
    return {"host": host, "codes": codes, "direct": direct, "runner": runner_dir, "runner_tmp": runner_tmp,
            "over_ssm": over_ssm, "ssm_commands": commands, "new_package": "amazon-ecs-init-%s" % sandbox_versions["ecs_new"],
            "stdout": proc.stdout, "stderr": proc.stderr, "proxy": forward_proxy, "proxied": proxied,
            "password": [forward_proxy.password, quote(forward_proxy.password, safe="")]}


def test_the_audited_runs_recorded_what_they_should(audit):
    """The places searched are really in use (otherwise finding nothing there proves nothing)."""
    host = audit["host"].name
    assert "ESTABLISH SSH CONNECTION" in audit["stdout"] and "PUT " in audit["stdout"]  # -vvvv, module files copied
    assert (audit["direct"] / "ansible.log").stat().st_size > 10000
    # jsonfile names each host's file PREFIX + host name (prefix "ansible_facts" by default, none in ansible-runner).
    cached = [p.name for p in (audit["direct"] / "fact-cache").iterdir() if p.name.endswith(host)]
    assert cached, list((audit["direct"] / "fact-cache").iterdir())
    assert (audit["runner_tmp"] / "ansible.log").stat().st_size > 10000
    artifacts = next((audit["runner"] / "artifacts").iterdir())
    assert (artifacts / "command").exists() and (artifacts / "stdout").stat().st_size > 10000
    assert len(list((artifacts / "job_events").glob("*.json"))) > 50
    assert [p for p in (artifacts / "fact_cache").iterdir() if p.name.endswith(host)], list((artifacts / "fact_cache").iterdir())
    # The update went out as a Run Command whose script and output SSM keeps, and the host fetched the package itself.
    assert [c["Status"] for c in audit["ssm_commands"]] == ["Success"]
    assert "signature verified" in (audit["over_ssm"] / "ssm-commands.json").read_text()
    fetched = [r["url"] for r in audit["proxied"] if r["user"] == audit["proxy"].user and r["status"] == 200]
    assert any(audit["new_package"] in url for url in fetched), fetched
    assert re.search(r"Activation [0-9a-f-]{36}", audit["stdout"])  # the id is shown; only the code is secret
    # The host really went out through the proxy, with the password: registration and both agents' calls.
    targets = {r["target"] for r in audit["proxied"] if r["user"] == audit["proxy"].user and r["status"] == 200}
    assert {"AmazonSSM.RegisterManagedInstance", "AmazonSSM.UpdateInstanceInformation",
            "AmazonEC2ContainerServiceV20141113.RegisterContainerInstance"} <= targets, sorted(targets)


def test_no_secret_on_the_controller(audit, tmp_path):
    codes, password = audit["codes"], audit["password"]
    places = [audit["direct"], audit["runner"], audit["runner_tmp"], audit["over_ssm"]]
    # The one file holding the password is the run's input, as AWX writes its extra vars.
    inputs = {str(audit["runner"] / "env" / "extravars")}
    # Canaries: the same search finds a planted code and a planted password in each place.
    canaries = []
    for place in places:
        for name, secret in (("canary-code.txt", codes[-1]), ("canary-proxy.txt", password[0])):
            (place / name).write_text("planted %s\n" % secret)
            canaries.append(str(place / name))
    try:
        hits = [hit for place in places for hit in controller_hits(place, codes + password) if hit not in inputs]
    finally:
        for canary in canaries:
            Path(canary).unlink()
    assert sorted(hits) == sorted(canaries), hits
    assert not any(secret in audit["stderr"] for secret in codes + password)


def searched_with_canaries(host, secrets, canaries):
    """host_hits for the secrets, with a canary file holding the first one planted at each path of `canaries`."""
    host.exec("tee %s >/dev/null" % " ".join(canaries), input="planted %s\n" % secrets[0])
    try:
        return host_hits(host, secrets)
    finally:
        host.exec("rm -f %s" % " ".join(canaries))


def test_no_activation_code_on_the_host(audit):
    host, codes = audit["host"], audit["codes"]
    hits = searched_with_canaries(host, codes, ["/var/tmp/audit-canary", "/tmp/audit-canary"])
    outside_vault = [h for h in hits if not h.startswith(VAULT)]
    assert outside_vault == ["/tmp/audit-canary", "/var/tmp/audit-canary"], hits
    print("\nsecrets audit wall times (s): %s; vault files holding a code: %s" % (TIMES, [h for h in hits if h.startswith(VAULT)]))


def test_the_proxy_password_on_the_host_is_in_root_only_files(audit):
    """The services need the password (their 0600 environment files); no file anyone else can read has it."""
    host, password = audit["host"], audit["password"]
    hits = searched_with_canaries(host, password, ["/var/tmp/audit-canary-proxy"])
    assert "/var/tmp/audit-canary-proxy" in hits, hits
    held = [h for h in hits if h != "/var/tmp/audit-canary-proxy"]
    assert held, "no file holds the proxy URL: the services cannot be using it"
    modes = host.exec("stat -c '%%U %%a %%n' %s" % " ".join(held)).stdout.splitlines()
    assert all(line.startswith("root 600 ") for line in modes), modes
