"""The roles on real sandbox hosts, for what molecule's happy path does not show: a tampered
package fails closed, a wrong activation code fails clearly and leaves no registration, a host
enrolled in another cluster is refused unless the move is allowed (then it re-registers and reports
the old container instance ARN), the optional ECS Exec dependencies are installed where the agent
reads them, refused when tampered with, kept when the role runs twice in one play, and removed with
the agent. A fresh install starts each agent once and a re-run changes and restarts nothing (`latest`
never upgrades an installed agent); a Docker restart under a running ECS agent is refused unless
allowed; an older ECS agent pin is left alone unless the rollback is allowed; proxy credentials reach
the agents exactly and no unprivileged user can read them.

Each test runs ansible-playbook with the roles against a fleet of its own (tests/sandbox,
`sandbox_fixtures`), an emulator and the package mirror reachable from the hosts, logging in as the
hosts' unprivileged user with no become in the inventory or the play: the roles escalate themselves.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import COLLECTIONS_ROOT, aws_env
from tests.sandbox import settings
from tests.sandbox.fleet import LOGIN_USER, ssh_key

pytestmark = pytest.mark.hosts

ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
ROLE_ARN = "ecsAnywhereRole"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
UNITS = ("docker", "amazon-ssm-agent", "ecs")


@pytest.fixture(scope="module")
def aws(host_emulator):
    iam = host_emulator.client("iam")
    iam.create_role(RoleName=ROLE_ARN, AssumeRolePolicyDocument=json.dumps(TRUST))
    return host_emulator.client("ssm"), host_emulator.client("ecs")


@pytest.fixture(scope="module")
def hosts(test_fleet, aws):
    return test_fleet.up(3, "bookworm")


def _port(url):
    return int(url.rsplit(":", 1)[1])


class Roles:
    """ansible-playbook with the collection's roles against one sandbox host, logged in as the unprivileged
    LOGIN_USER without any become in the inventory or the play (as an operator's inventory)."""

    def __init__(self, host, emulator, mirror_proc, tmp_path):
        self.host, self.emulator, self.tmp = host, emulator, tmp_path
        group_vars = settings.role_vars(host_side_address=docker_engine_gateway(mirror_proc),
                                        emulator_port=_port(emulator.url), mirror_port=_port(mirror_proc.host_url))
        group_vars.update({
            "ansible_user": LOGIN_USER,
            "ansible_ssh_private_key_file": str(ssh_key()),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            "ansible_python_interpreter": "/usr/bin/python3",
        })
        self.inventory = tmp_path / "inventory.yml"
        self.inventory.write_text(yaml.safe_dump({"all": {"hosts": {host.name: {"ansible_host": host.address}},
                                                          "vars": group_vars}}))

    def run(self, roles, extra_vars=None, name="play", tasks=None, check=False, options=()):
        """Apply `roles` (or run `tasks` instead, e.g. include_role twice); returns rc, output, facts."""
        out_file = self.tmp / (name + "-facts.json")
        play = [{
            "name": "Roles", "hosts": "all", "gather_facts": True,
            "vars": dict(extra_vars or {}),
            **({"tasks": tasks} if tasks is not None else
               {"roles": [{"role": "hybridfleet.ecs_anywhere." + r} for r in roles]}),
            "post_tasks": [{
                "name": "Dump the facts the roles set",
                "ansible.builtin.copy": {
                    "dest": str(out_file), "mode": "0600",
                    "content": "{{ {'mi': ssm_agent_managed_instance_id | default(''),"
                               " 'arn': ecs_agent_container_instance_arn | default(''),"
                               " 'previous_arn': ecs_agent_previous_container_instance_arn | default(''),"
                               " 'version': ecs_agent_running_version | default('')} | to_json }}"},
                "delegate_to": "localhost", "become": False}],
        }]
        playbook = self.tmp / (name + ".yml")
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        env = dict(os.environ, **aws_env(self.emulator.url))
        env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="False",
                   ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT))
        if out_file.exists():
            out_file.unlink()
        proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(self.inventory), str(playbook)] + (["--check"] if check else [])
                              + list(options), env=env, capture_output=True, text=True, timeout=1500)
        facts = json.loads(out_file.read_text()) if out_file.exists() else None
        return proc.returncode, proc.stdout + proc.stderr, facts


def docker_engine_gateway(mirror_proc):
    return mirror_proc.host_url.split("//", 1)[1].rsplit(":", 1)[0]


def units(host, names=UNITS):
    """Each unit's main PID and when it last started: equal before and after means it was not restarted."""
    out = host.exec("for u in %s; do echo $u $(systemctl show -p MainPID --value $u) "
                    "$(systemctl show -p ExecMainStartTimestampMonotonic --value $u); done" % " ".join(names)).stdout
    return {line.split()[0]: tuple(line.split()[1:]) for line in out.splitlines()}


def changed_tasks(out):
    """The roles' tasks ansible reported as changed (the test's own fact dump aside)."""
    lines, task, found = out.splitlines(), None, []
    for line in lines:
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            task = line.split(" ***")[0]
        elif line.startswith("changed: ") and task and task != "TASK [Dump the facts the roles set]":
            found.append(task)
    return found


def test_tampered_package_fails_closed(hosts, host_emulator, mirror, sandbox_packages, tmp_path):
    """A package that does not match its signature is refused on the controller; nothing reaches
    the host, nothing is installed."""
    host = hosts[0]
    roles = Roles(host, host_emulator, mirror, tmp_path)
    # A mirror of our own serving the real signature next to a package with one byte changed.
    from tests.sandbox.mirror.layout import resolve
    root = tmp_path / "tampered"
    path = "/amazon-ssm-%s/latest/debian_amd64/amazon-ssm-agent.deb" % settings.REGION
    good = resolve(sandbox_packages, path)
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True)
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    shutil.copy(resolve(sandbox_packages, path + ".sig"), str(target) + ".sig")
    server = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                               "--directory", str(root)], stdout=subprocess.PIPE, text=True)
    try:
        port = _wait_http_server_port(server)
        rc, out, _ = roles.run(["ssm_agent"], {"ssm_agent_package_base_url": "http://127.0.0.1:%d" % port,
                                               "ssm_agent_controller_cache_dir": str(tmp_path / "cache")})
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert rc != 0, out
    assert "Signature check FAILED" in out and "nothing was installed" in out
    assert host.exec("dpkg-query -W amazon-ssm-agent", check=False).returncode != 0
    assert host.exec("ls /var/cache/hybridfleet-ecs-anywhere/ssm_agent/", check=False).stdout.strip() == ""
    assert host.exec("test -e /etc/amazon/ssm/amazon-ssm-agent.json", check=False).returncode != 0


def _wait_http_server_port(server):
    line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port NNNNN (...)"
    return int(line.split(" port ")[1].split()[0])


def test_wrong_activation_code_fails_clearly(hosts, aws, host_emulator, mirror, tmp_path):
    host = hosts[1]
    ssm, _ = aws
    activation_id = ssm.create_activation(IamRole=ROLE_ARN, RegistrationLimit=1)["ActivationId"]
    wrong = "WRONGCODE" + "x" * 11
    rc, out, _ = Roles(host, host_emulator, mirror, tmp_path).run(
        ["ssm_agent"], {"ssm_agent_activation_id": activation_id, "ssm_agent_activation_code": wrong})
    assert rc != 0, out
    assert "SSM registration of %s with activation %s" % (host.name, activation_id) in out
    assert "InvalidActivation" in out  # the agent's own error text reaches the message
    assert "Nothing was left registered" in out
    assert wrong not in out  # no_log everywhere the code is touched
    assert host.exec("test -e /var/lib/amazon/ssm/registration", check=False).returncode != 0
    assert host.exec("systemctl is-active amazon-ssm-agent", check=False).stdout.strip() != "active"


def test_cluster_change_refused_then_allowed(hosts, aws, host_emulator, mirror, tmp_path):
    """A host enrolled in roles-a, run with roles-b: refused (both clusters and the variable named, nothing
    changed); with ecs_agent_allow_cluster_change it registers anew in roles-b and reports the old ARN."""
    host = hosts[2]
    ssm, ecs = aws
    for cluster in ("roles-a", "roles-b"):
        ecs.create_cluster(clusterName=cluster)
    act = ssm.create_activation(IamRole=ROLE_ARN, RegistrationLimit=1)
    roles = Roles(host, host_emulator, mirror, tmp_path)
    base = {"ssm_agent_activation_id": act["ActivationId"], "ssm_agent_activation_code": act["ActivationCode"],
            "ecs_agent_register_timeout": 180}
    rc, out, first = roles.run(["docker_engine", "ssm_agent", "ecs_agent"], dict(base, ecs_agent_cluster="roles-a"),
                               name="first")
    assert rc == 0, out
    assert first["arn"] and first["previous_arn"] == "" and first["mi"].startswith("mi-")

    # Without ecs_agent_allow_cluster_change the host is refused before anything changes.
    before = units(host)
    rc, out, refused = roles.run(["docker_engine", "ssm_agent", "ecs_agent"], dict(base, ecs_agent_cluster="roles-b"),
                                 name="refused")
    assert rc != 0, out
    text = " ".join(out.split())
    assert "%s is enrolled in ECS cluster roles-a, not roles-b (ecs_agent_cluster)" % host.name in text, out[-3000:]
    assert "set ecs_agent_allow_cluster_change: true to move it" in text and "Nothing was changed" in text
    assert units(host) == before
    assert "ECS_CLUSTER=roles-a" in host.exec("cat /etc/ecs/ecs.config").stdout
    assert ecs.list_container_instances(cluster="roles-b")["containerInstanceArns"] == []

    rc, out, second = roles.run(["docker_engine", "ssm_agent", "ecs_agent"],
                                dict(base, ecs_agent_cluster="roles-b", ecs_agent_allow_cluster_change=True), name="second")
    assert rc == 0, out
    assert "moves from cluster roles-a to roles-b (ecs_agent_allow_cluster_change)" in " ".join(out.split())
    assert second["previous_arn"] == first["arn"]
    assert second["arn"] != first["arn"] and "roles-b" not in first["arn"]
    assert second["mi"] == first["mi"]  # same managed instance; only the ECS side moved
    new = ecs.describe_container_instances(cluster="roles-b", containerInstances=[second["arn"]])["containerInstances"]
    assert new[0]["status"] == "ACTIVE" and new[0]["ec2InstanceId"] == first["mi"]
    assert "ECS_CLUSTER=roles-b" in host.exec("cat /etc/ecs/ecs.config").stdout


# --- ECS Exec dependencies (ecs_agent_exec_enabled) --------------------------------------------------------------
EXEC_DIR = "/var/lib/ecs/deps/execute-command"
EXEC_BINARIES = ("amazon-ssm-agent", "ssm-agent-worker", "ssm-session-worker")


@pytest.fixture(scope="module")
def exec_vars(sandbox_packages):
    """ECS Exec on, with the newest stand-in binaries the mirror serves, signed with the test key."""
    from tests.sandbox.mirror.layout import versions
    built = versions(sandbox_packages, "amazon-ssm-agent-binaries", "amd64", "tar.gz")
    assert len(built) >= 2, "the sandbox builds ECS Exec binaries for every amazon-ssm-agent version"
    return {"ecs_agent_exec_enabled": True, "ecs_agent_exec_ssm_version": built[-1],
            "ecs_agent_exec_signing_key_path": str(settings.SIGNING_KEY),
            "ecs_agent_exec_signing_key_fingerprints": settings.signing_fingerprints(),
            "_older": built[0]}


def _enrolled(host):
    """hosts[2] is enrolled (cluster roles-b) by the cluster-change test above; say so if it is not."""
    cluster = host.exec("sed -n 's/^ECS_CLUSTER=//p' /etc/ecs/ecs.config", check=False).stdout.strip()
    if cluster != "roles-b":
        pytest.fail("%s is not enrolled in roles-b: test_cluster_change_refused_then_allowed "
                    "must run (and pass) first in this module" % host.name)
    return cluster


def test_ecs_exec_installed_and_pin_kept_when_role_included_twice(hosts, aws, host_emulator, mirror, exec_vars,
                                                                 tmp_path):
    """One play includes ecs_agent twice with ECS Exec on and the version pinned in play vars (the
    agent's own fact once collided with ecs_agent_version and broke the second inclusion). The
    first installs the binaries and the CA bundle where the agent reads them, removes another
    version and restarts the agent, which then advertises ECS Exec; the second changes nothing."""
    host, (_ssm, ecs) = hosts[2], aws
    cluster = _enrolled(host)
    version, older = exec_vars["ecs_agent_exec_ssm_version"], exec_vars["_older"]
    pin = host.exec("dpkg-query -W -f '${Version}' amazon-ecs-init").stdout.strip()
    # Binaries of another version left behind: the agent would use the highest, so the role removes them.
    host.exec("install -d %s/bin/%s && touch %s/bin/%s/amazon-ssm-agent" % (EXEC_DIR, older, EXEC_DIR, older))
    include = {"name": "Apply ecs_agent", "ansible.builtin.include_role": {"name": "hybridfleet.ecs_anywhere.ecs_agent"}}
    tasks = [include, {"name": "Second inclusion of the role", "ansible.builtin.debug": {"msg": "again"}}, include]
    play_vars = {k: v for k, v in exec_vars.items() if not k.startswith("_")}
    play_vars.update(ecs_agent_cluster=cluster, ecs_agent_version=pin, ecs_agent_register_timeout=120)
    rc, out, facts = Roles(host, host_emulator, mirror, tmp_path).run([], play_vars, name="exec", tasks=tasks)
    assert rc == 0, out
    first, second = out.split("TASK [Second inclusion of the role]")
    second = second.split("TASK [Dump the facts the roles set]")[0]
    assert "amazon-ssm-agent-binaries.tar.gz: good signature by a pinned key" in first
    assert "RUNNING HANDLER [hybridfleet.ecs_anywhere.ecs_agent : Restart ecs]" in first
    # The second inclusion kept the user's pin (not the running version "1.105.1") and changed nothing.
    assert "amazon-ecs-init %s is installed on %s, pin %s: nothing to do." % (pin, host.name, pin) in " ".join(second.split())
    assert "\nchanged: " not in second and "Restart ecs" not in second, second
    assert facts["version"] == pin.rsplit("-", 1)[0]

    bin_dir = "%s/bin/%s" % (EXEC_DIR, version)
    listing = host.exec("ls %s/bin; stat -c '%%a %%U %%n' %s/*" % (EXEC_DIR, bin_dir)).stdout.split("\n")
    assert listing[0] == version  # only the pinned version is left
    assert sorted(listing[1:-1]) == sorted("755 root %s/%s" % (bin_dir, b) for b in EXEC_BINARIES)
    for binary in EXEC_BINARIES:
        assert host.exec("%s/%s -version" % (bin_dir, binary)).stdout.strip() == "SSM Agent version: " + version
    cert = host.exec("stat -c '%%a %%U' %s/certs/tls-ca-bundle.pem; sha256sum < %s/certs/tls-ca-bundle.pem; "
                     "sha256sum < /etc/ssl/certs/ca-certificates.crt" % (EXEC_DIR, EXEC_DIR)).stdout.split("\n")
    assert cert[0] == "400 root" and cert[1] == cert[2], cert
    # The restarted agent found them and told ECS it can do ECS Exec.
    arn = facts["arn"]
    described = ecs.describe_container_instances(cluster=cluster, containerInstances=[arn])["containerInstances"][0]
    assert "ecs.capability.execute-command" in {a["name"] for a in described["attributes"]}


def test_ecs_exec_tampered_tarball_fails_closed(hosts, host_emulator, mirror, sandbox_packages, exec_vars, tmp_path):
    """A binaries tarball that does not match its signature fails the run before anything is
    installed: no ECS Exec files, no amazon-ecs-init, nothing in the host's cache."""
    host = hosts[0]
    from tests.sandbox.mirror.layout import resolve
    version = exec_vars["ecs_agent_exec_ssm_version"]
    path = "/amazon-ssm-%s/%s/linux_amd64/amazon-ssm-agent-binaries.tar.gz" % (settings.REGION, version)
    root = tmp_path / "tampered"
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True)
    data = bytearray(resolve(sandbox_packages, path).read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    shutil.copy(resolve(sandbox_packages, path + ".sig"), str(target) + ".sig")
    server = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                               "--directory", str(root)], stdout=subprocess.PIPE, text=True)
    try:
        port = _wait_http_server_port(server)
        play_vars = {k: v for k, v in exec_vars.items() if not k.startswith("_")}
        play_vars.update(ecs_agent_cluster="roles-a", ecs_agent_controller_cache_dir=str(tmp_path / "cache"),
                         ecs_agent_exec_package_base_url="http://127.0.0.1:%d" % port)
        rc, out, _ = Roles(host, host_emulator, mirror, tmp_path).run(["ecs_agent"], play_vars)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert rc != 0, out
    assert "Signature check FAILED" in out and "nothing was installed" in out
    assert "ecs_agent_exec_package_base_url, ecs_agent_exec_ssm_version" in out  # says what to check
    assert host.exec("test -e /var/lib/ecs", check=False).returncode != 0
    assert host.exec("dpkg-query -W amazon-ecs-init", check=False).returncode != 0
    assert host.exec("ls /var/cache/hybridfleet-ecs-anywhere/ecs_agent/", check=False).stdout.strip() == ""
    assert list((tmp_path / "cache").glob("*.tar.gz")) == []  # the controller cache dropped it too


def test_ecs_exec_check_mode_on_a_fresh_host(hosts, host_emulator, mirror, exec_vars, tmp_path):
    """--check with ECS Exec on, on a host without the agent: the signatures are proved on the
    controller, the run reports what it would do, and the host is left untouched."""
    host = hosts[0]
    play_vars = {k: v for k, v in exec_vars.items() if not k.startswith("_")}
    play_vars.update(ecs_agent_cluster="roles-a", ecs_agent_controller_cache_dir=str(tmp_path / "cache"))
    rc, out, _ = Roles(host, host_emulator, mirror, tmp_path).run(["ecs_agent"], play_vars, check=True)
    assert rc == 0, out
    assert "amazon-ssm-agent-binaries.tar.gz: good signature by a pinned key" in out
    assert "TASK [hybridfleet.ecs_anywhere.ecs_agent : Create the directory for the CA bundle]" in out
    assert host.exec("test -e /var/lib/ecs", check=False).returncode != 0
    assert host.exec("test -e /var/cache/hybridfleet-ecs-anywhere/ecs_agent", check=False).returncode != 0
    assert host.exec("dpkg-query -W amazon-ecs-init", check=False).returncode != 0


def test_ecs_agent_absent_removes_exec_dependencies(hosts, host_emulator, mirror, tmp_path):
    host = hosts[2]
    assert host.exec("test -d %s/bin" % EXEC_DIR, check=False).returncode == 0, "needs the ECS Exec test above"
    rc, out, _ = Roles(host, host_emulator, mirror, tmp_path).run(["ecs_agent"], {"ecs_agent_state": "absent"})
    assert rc == 0, out
    assert host.exec("test -e %s" % EXEC_DIR, check=False).returncode != 0
    assert host.exec("test -e /var/lib/ecs", check=False).returncode != 0
    assert host.exec("dpkg-query -W amazon-ecs-init", check=False).returncode != 0


# --- disturbance: a fresh install starts each agent once, a re-run changes and restarts nothing -------------------
STARTS = "/var/tmp/hf-test-starts-"
START_COUNTER = "[Service]\nExecStartPost=/bin/sh -c 'date +%%s.%%N >> " + STARTS + "%N'\n"


def count_starts(host):
    """How often each unit started since the counter was installed (a test drop-in, not the roles')."""
    out = host.exec("for u in %s; do echo $u $(cat %s$u 2>/dev/null | wc -l); done" % (" ".join(UNITS), STARTS)).stdout
    return {line.split()[0]: int(line.split()[1]) for line in out.splitlines()}


@pytest.fixture(scope="module")
def agent_versions(sandbox_packages):
    from tests.sandbox.mirror.layout import versions
    ssm = versions(sandbox_packages, "amazon-ssm-agent", "amd64", "deb")
    ecs = versions(sandbox_packages, "amazon-ecs-init", "amd64", "deb")
    assert len(ssm) >= 2 and len(ecs) >= 2, "the sandbox builds two versions of each agent"
    return {"ssm": ssm, "ecs": ecs}


def test_fresh_install_starts_each_agent_once_and_a_rerun_disturbs_nothing(hosts, aws, host_emulator, mirror,
                                                                          agent_versions, tmp_path):
    """On a fresh host (hosts[0]: the tests above left nothing there) the three roles start docker and ecs once
    each, and the SSM agent once after registering it (its package starts it once before, unregistered). A
    re-run with ssm_agent_version latest, newer than the agent installed, reports no change, upgrades
    nothing and restarts nothing: the units keep their PIDs and start times."""
    host, (ssm, ecs) = hosts[0], aws
    assert host.exec("dpkg-query -W amazon-ssm-agent amazon-ecs-init docker.io", check=False).returncode != 0
    ecs.create_cluster(clusterName="roles-fresh")
    act = ssm.create_activation(IamRole=ROLE_ARN, RegistrationLimit=1)
    for unit in UNITS:
        host.exec("install -d /etc/systemd/system/%s.service.d && cat > /etc/systemd/system/%s.service.d/zz-test-starts.conf"
                  % (unit, unit), input=START_COUNTER)
    host.exec("systemctl daemon-reload")
    older_ssm = agent_versions["ssm"][0]
    base = {"ssm_agent_activation_id": act["ActivationId"], "ssm_agent_activation_code": act["ActivationCode"],
            "ecs_agent_cluster": "roles-fresh", "ecs_agent_register_timeout": 240}
    roles = Roles(host, host_emulator, mirror, tmp_path)
    rc, out, first = roles.run(["docker_engine", "ssm_agent", "ecs_agent"], dict(base, ssm_agent_version=older_ssm),
                               name="fresh")
    assert rc == 0, out
    assert first["arn"] and first["mi"].startswith("mi-")
    assert count_starts(host) == {"docker": 1, "amazon-ssm-agent": 2, "ecs": 1}, out[-4000:]
    assert "RUNNING HANDLER" not in out or "changed: " not in out.split("RUNNING HANDLER")[1].split("TASK [")[0], out

    before = units(host)
    rc, out, again = roles.run(["docker_engine", "ssm_agent", "ecs_agent"], base, name="again")  # ssm_agent_version: latest
    assert rc == 0, out
    assert changed_tasks(out) == []
    assert units(host) == before
    assert count_starts(host) == {"docker": 1, "amazon-ssm-agent": 2, "ecs": 1}
    assert host.exec("dpkg-query -W -f '${Version}' amazon-ssm-agent").stdout.strip() == older_ssm
    text = " ".join(out.split())
    assert "amazon-ssm-agent %s is installed on %s and ssm_agent_upgrade_installed is false: it is left as it is" % (
        older_ssm, host.name) in text
    assert "amazon-ssm-agent.deb" not in " ".join(l for l in out.splitlines() if "Download" in l or "http" in l)  # fetched nothing
    assert again["arn"] == first["arn"] and again["mi"] == first["mi"]
    host.exec("rm -f /etc/systemd/system/*.service.d/zz-test-starts.conf && systemctl daemon-reload")


def test_docker_restart_refused_under_a_running_ecs_agent(hosts, host_emulator, mirror, tmp_path):
    """hosts[0] runs the ECS agent: a daemon.json change (it restarts dockerd, stopping every container) is
    refused before anything changes, naming the command to proceed; allowed, Docker restarts once, and the
    same settings again restart nothing."""
    host = hosts[0]
    assert host.exec("systemctl is-active ecs", check=False).stdout.strip() == "active", "needs the fresh-install test"
    roles = Roles(host, host_emulator, mirror, tmp_path)
    change = {"docker_engine_daemon_config": {"log-level": "warn"}, "docker_engine_verify_run_container": False}
    before = units(host)
    rc, out, dummy = roles.run(["docker_engine"], change, name="refused")
    assert rc != 0, out
    text = " ".join(out.split())
    assert "Applying docker_engine_daemon_config on %s restarts dockerd, which stops every container there" % host.name in text
    assert "-e docker_engine_allow_restart=true" in text and "Nothing was changed" in text
    assert units(host) == before
    assert host.exec("test -e /etc/docker/daemon.json", check=False).returncode != 0

    rc, out, dummy = roles.run(["docker_engine"], dict(change, docker_engine_allow_restart=True), name="allowed")
    assert rc == 0, out
    assert units(host, ["docker"]) != {"docker": before["docker"]}
    assert json.loads(host.exec("cat /etc/docker/daemon.json").stdout) == {"log-level": "warn"}
    restarted = units(host, ["docker"])
    rc, out, dummy = roles.run(["docker_engine"], dict(change, docker_engine_allow_restart=True), name="same")
    assert rc == 0 and changed_tasks(out) == [], out
    assert units(host, ["docker"]) == restarted


def test_older_pin_left_alone_unless_the_rollback_is_allowed(hosts, host_emulator, mirror, agent_versions, tmp_path):
    """hosts[0] runs the newest ECS agent. Pinning the older one leaves it (the run passes and says so; nothing
    restarts); with ecs_agent_allow_downgrade it is installed and the agent restarts on it. The SSM agent is
    replaced only when asked (ssm_agent_upgrade_installed)."""
    host = hosts[0]
    older, newer = agent_versions["ecs"][0], agent_versions["ecs"][-1]
    assert host.exec("dpkg-query -W -f '${Version}' amazon-ecs-init").stdout.strip() == newer
    roles = Roles(host, host_emulator, mirror, tmp_path)
    pin = {"ecs_agent_cluster": "roles-fresh", "ecs_agent_version": older, "ecs_agent_register_timeout": 240}
    before = units(host)
    rc, out, kept = roles.run(["ecs_agent"], pin, name="kept")
    assert rc == 0, out
    assert "amazon-ecs-init %s is installed on %s, pin %s: the installed agent is newer than the pin and is left as it is. " \
           "Set ecs_agent_allow_downgrade: true" % (newer, host.name, older) in " ".join(out.split())
    assert changed_tasks(out) == []
    assert units(host) == before
    assert host.exec("dpkg-query -W -f '${Version}' amazon-ecs-init").stdout.strip() == newer

    rc, out, rolled = roles.run(["ecs_agent"], dict(pin, ecs_agent_allow_downgrade=True), name="rollback")
    assert rc == 0, out
    assert host.exec("dpkg-query -W -f '${Version}' amazon-ecs-init").stdout.strip() == older
    assert rolled["version"] == older.rsplit("-", 1)[0]  # the agent restarted on the older package
    assert rolled["arn"] == kept["arn"]  # same container instance
    assert units(host, ["ecs"]) != {"ecs": before["ecs"]}

    latest_ssm = agent_versions["ssm"][-1]
    rc, out, dummy = roles.run(["ssm_agent"], {"ssm_agent_upgrade_installed": True}, name="ssm-upgrade")
    assert rc == 0, out
    assert host.exec("dpkg-query -W -f '${Version}' amazon-ssm-agent").stdout.strip() == latest_ssm


# --- proxy credentials: exact in the agents' environment, readable by no one else ----------------------------------
PROXY_PASSWORD = "Pa%40ss-7q"  # %40 is "@": systemd drops such a value when it sits in a unit's Environment=
AUTH_SECRET = "authsecret-9x2"


def test_proxy_credentials_reach_the_agents_and_no_one_else(hosts, aws, host_emulator, mirror, tmp_path):
    """hosts[1] (left with its SSM agent installed and unregistered by the wrong-code test) enrolls with a fleet proxy URL
    carrying user:Pa%40ss credentials (nothing listens there; no_proxy sends the sandbox's own traffic and the
    Debian mirror past it) and ECS_ENGINE_AUTH_DATA in ecs_agent_extra_config. dockerd, the SSM agent and
    ecs-init run with the exact URL in their environment; the files holding it are 0600 root; an unprivileged
    user finds the password in no file, no process list and no `systemctl show`; the run's --diff -v output
    shows neither secret."""
    host, (ssm, ecs) = hosts[1], aws
    ecs.create_cluster(clusterName="roles-proxy")
    act = ssm.create_activation(IamRole=ROLE_ARN, RegistrationLimit=1)
    proxy = "http://ops:%s@192.0.2.10:3128" % PROXY_PASSWORD  # TEST-NET-1: never routed
    apt_hosts = sorted(set(host.exec("grep -rhoE '^(URIs:|deb) +https?://[^/ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ "
                                     "2>/dev/null | sed -E 's#.*//##'", check=False).stdout.split()))
    assert apt_hosts, "the host's apt sources name no mirror"
    no_proxy = ",".join([docker_engine_gateway(mirror)] + apt_hosts)
    auth = '{"https://registry.example":{"type":"docker","auth":"%s"}}' % AUTH_SECRET
    play_vars = {"ecs_anywhere_proxy": proxy, "ecs_anywhere_no_proxy": no_proxy,
                 "ssm_agent_activation_id": act["ActivationId"], "ssm_agent_activation_code": act["ActivationCode"],
                 "ecs_agent_cluster": "roles-proxy", "ecs_agent_register_timeout": 240,
                 "ecs_agent_extra_config": {"ECS_ENGINE_AUTH_DATA": auth}, "docker_engine_verify_run_container": False}
    rc, out, facts = Roles(host, host_emulator, mirror, tmp_path).run(["docker_engine", "ssm_agent", "ecs_agent"],
                                                                       play_vars, name="proxied", options=["--diff", "-v"])
    assert rc == 0, out[-5000:]
    assert facts["mi"].startswith("mi-") and facts["arn"]

    # The exact URL, % and all, in each agent's environment (read as root from /proc).
    for unit, keys in (("docker", ("HTTP_PROXY", "HTTPS_PROXY")), ("amazon-ssm-agent", ("http_proxy", "https_proxy")),
                       ("ecs", ("HTTP_PROXY", "HTTPS_PROXY"))):
        env = host.exec("tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value %s)/environ" % unit).stdout.splitlines()
        for key in keys:
            assert "%s=%s" % (key, proxy) in env, (unit, key, [e.split("@")[-1] for e in env if "proxy" in e.lower()])
    ecs_env = host.exec("tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value ecs)/environ").stdout.splitlines()
    assert "ECS_ENGINE_AUTH_DATA=" + auth in ecs_env

    # Root-only files; drop-ins that only name the environment file.
    modes = host.exec("stat -c '%a %U %n' /etc/ecs/ecs.config /etc/hybridfleet-ecs-anywhere/* "
                      "/etc/systemd/system/{docker,amazon-ssm-agent,ecs}.service.d/hybridfleet-proxy.conf").stdout.splitlines()
    assert len(modes) == 10 and all(m.startswith("600 root ") for m in modes), modes
    assert PROXY_PASSWORD not in host.exec("cat /etc/systemd/system/*.service.d/hybridfleet-proxy.conf").stdout

    # An unprivileged local user: no file, process list or systemctl show gives the password or the auth away.
    # The patterns come on stdin: on grep's command line they would be in the process list searched next.
    as_nobody = host.exec(
        "runuser -u nobody -- sh -c '"
        "grep -rlsF -f /dev/stdin /etc /var /run /tmp /home /opt /usr/local /root; echo GREP-DONE; "
        "ps -eo args; cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr \\\\0 \\\\n; "
        "systemctl show docker amazon-ssm-agent ecs; echo DONE'", input="%s\nPa@ss\n%s\n" % (PROXY_PASSWORD, AUTH_SECRET),
        check=False).stdout
    assert as_nobody.rstrip().endswith("DONE"), as_nobody[-2000:]
    assert as_nobody.startswith("GREP-DONE"), as_nobody.split("GREP-DONE")[0]  # no file names listed
    assert "EnvironmentFiles=/etc/hybridfleet-ecs-anywhere/ecs-proxy.env" in as_nobody  # systemctl show did answer
    assert PROXY_PASSWORD not in as_nobody and "Pa@ss" not in as_nobody and AUTH_SECRET not in as_nobody
    # Nor did the run show them, though it ran with --diff -v.
    assert "--- before" in out  # --diff was on
    for secret in (PROXY_PASSWORD, "Pa@ss", AUTH_SECRET):
        assert secret not in out


def test_enrolls_through_the_fleet_proxy_alone(test_fleet, forward_proxy, aws, host_emulator, mirror, tmp_path):
    """A host whose only way out is the sandbox's squid (BasicAuth, a password with @ and %41 in it) enrolls end
    to end with nothing but ecs_anywhere_proxy set: apt installs Docker through it, the SSM agent package is
    downloaded on the host through it (ssm_agent_download_via_controller: false), the registration and the
    agent's calls go through it, and so do the ECS agent's. squid's log shows each; the password shows nowhere
    in the run's -v output."""
    (host,) = test_fleet.up(1, "bookworm", network=forward_proxy.network)
    ssm, ecs = aws
    ecs.create_cluster(clusterName="roles-proxied")
    act = ssm.create_activation(IamRole=ROLE_ARN, RegistrationLimit=1)
    # The way out really is only the proxy: the emulator is not reachable directly.
    emulator_for_hosts = "http://%s:%d" % (docker_engine_gateway(mirror), _port(host_emulator.url))
    probe = host.exec("python3 -c \"import urllib.request as u; u.urlopen('%s/_emulator/health', timeout=5)\"; echo rc=$?"
                      % emulator_for_hosts, check=False)
    assert "rc=1" in probe.stdout and "Error" in probe.stderr, (probe.stdout, probe.stderr)
    mark = forward_proxy.log_size()
    play_vars = {"ecs_anywhere_proxy": forward_proxy.url, "ssm_agent_download_via_controller": False,
                 "ssm_agent_activation_id": act["ActivationId"], "ssm_agent_activation_code": act["ActivationCode"],
                 "ecs_agent_cluster": "roles-proxied", "ecs_agent_register_timeout": 240,
                 "docker_engine_verify_run_container": False}
    rc, out, facts = Roles(host, host_emulator, mirror, tmp_path).run(["docker_engine", "ssm_agent", "ecs_agent"],
                                                                       play_vars, name="through-proxy", options=["-v"])
    assert rc == 0, out[-5000:]
    described = ecs.describe_container_instances(cluster="roles-proxied", containerInstances=[facts["arn"]])
    assert described["containerInstances"][0]["status"] == "ACTIVE"
    assert described["containerInstances"][0]["ec2InstanceId"] == facts["mi"]

    seen = [r for r in forward_proxy.requests(mark) if r["status"] == 200 and r["user"] == forward_proxy.user]
    targets = {r["target"] for r in seen}
    assert {"AmazonSSM.RegisterManagedInstance", "AmazonSSM.UpdateInstanceInformation",
            "AmazonEC2ContainerServiceV20141113.RegisterContainerInstance"} <= targets, sorted(targets)
    urls = [r["url"] for r in seen]
    assert any(u.endswith("/debian_amd64/amazon-ssm-agent.deb") for u in urls), urls  # downloaded on the host
    assert any(u.endswith("/debian_amd64/amazon-ssm-agent.deb.sig") for u in urls), urls
    assert any(r["host"] == "deb.debian.org" for r in seen), sorted({r["host"] for r in seen})  # apt
    for secret in (forward_proxy.password, forward_proxy.url):
        assert secret not in out
