"""The fleet playbooks end to end on sandbox hosts, in the order an operator uses them.

One sandbox for the whole module (its own emulator, the mirror, three systemd hosts): register the
fleet, roll the ECS agent to the newer stand-in version, run an EXTERNAL service and drain one host
(its tasks move), then register with one host lost mid-run (the others enroll, the activation is
still deleted), and a re-run that completes the fleet and changes nothing on the hosts already
enrolled. The tests depend on each other's outcome and run in file order.

Everything the playbooks and the `fleet` inventory do here runs with access keys limited to
docs/iam-policy.json, the emulator enforcing IAM (pb_policy_keys): the module is also the proof that the
policy is enough. The last test takes one action out of it and sees the drain refused, naming the action.
"""
import hashlib
import json
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml

from test_playbooks_harness import (
    ANSIBLE_PLAYBOOK, CLUSTER, POLICY, activations_report, container_instances, docker, managed_instances, operator,
    playbook_env, recap, run_playbook, summary_row)
from sandbox_fixtures import wait_until

pytestmark = pytest.mark.hosts


@pytest.fixture(scope="module", autouse=True)
def under_the_policy(pb_policy_keys):
    return pb_policy_keys


def codes(emulator):
    return [a["ActivationCode"] for a in activations_report(emulator)]


def assert_no_activation_left(emulator):
    assert all(a["Deleted"] for a in activations_report(emulator))
    assert emulator.client("ssm").describe_activations()["ActivationList"] == []


def host_file(host, path):
    out = host.exec("cat %s" % path, check=False)
    return out.stdout if out.returncode == 0 else None


def test_register_enrolls_the_fleet(pb_fleet, pb_emulator, sandbox_versions):
    hosts, inventory = pb_fleet
    result = run_playbook("register", inventory, pb_emulator, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_old"])
    assert result.rc == 0, result.tail
    for h in hosts:
        assert recap(result.stdout)[h.name]["failed"] == 0
    # One activation, for exactly the three unregistered hosts, deleted at the end.
    created = activations_report(pb_emulator)
    assert [(a["RegistrationLimit"], a["RegistrationsCount"]) for a in created] == [(3, 3)]
    assert_no_activation_left(pb_emulator)
    assert not any(code in result.stdout for code in codes(pb_emulator))
    # ECS shows every host's own managed instance ACTIVE and connected, with the pinned agent.
    by_mi = {ci["ec2InstanceId"]: ci for ci in container_instances(pb_emulator)}
    for h in hosts:
        mi = json.loads(h.exec("cat /var/lib/amazon/ssm/registration").stdout)["ManagedInstanceID"]
        ci = by_mi[mi]
        assert (ci["status"], ci["agentConnected"]) == ("ACTIVE", True)
        assert ci["versionInfo"]["agentVersion"] == sandbox_versions["ecs_old"].rsplit("-", 1)[0]
        # The table shows the container instance id (the ARN's last part); the JSON report has the ARN.
        assert re.match(r"%s\s+%s\s+%s\s+ACTIVE connected\s+\S+ enrolled$" % (h.name, mi, ci["containerInstanceArn"].rsplit("/", 1)[1]),
                        summary_row(result.stdout, h.name)), result.tail
    # The summary fits 120 columns as printed; the whole data is in the JSON report whose path is printed.
    table = result.stdout.rsplit("TASK [Summary of register]", 1)[1].split("\n\n", 1)[0]
    assert max(len(line) for line in table.splitlines()) <= 120, table
    report = json.loads(Path(re.search(r"Report of this run \(every host, full ARNs and results\): (\S+\.json)",
                                       result.stdout).group(1)).read_text())
    assert (report["playbook"], report["cluster"]) == ("register", CLUSTER)
    assert {(r["host"], r["container_instance_arn"], r["status"], r["result"]) for r in report["hosts"]} == {
        (h.name, next(arn for arn, ci in ((c["containerInstanceArn"], c) for c in by_mi.values())
                      if ci["ec2InstanceId"] == json.loads(h.exec("cat /var/lib/amazon/ssm/registration").stdout)["ManagedInstanceID"]),
         "ACTIVE", "enrolled") for h in hosts}
    # The hosts already ran docker.io (HOST_DISTRO): apt neither installed anything nor refreshed its
    # lists (the image has none).
    for h in hosts:
        assert h.exec("ls /var/lib/apt/lists | grep -c _Packages", check=False).stdout.strip() == "0"
    # The IAM role the activation used exists with its trust policy and the two managed policies.
    iam = pb_emulator.client("iam")
    policies = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="ecsAnywhereRole")["AttachedPolicies"]}
    assert policies == {"AmazonSSMManagedInstanceCore", "AmazonEC2ContainerServiceforEC2Role"}


def test_fleet_inventory_shows_the_registered_hosts_and_reaches_them(pb_fleet, pb_emulator):
    """The `fleet` inventory of what register enrolled: the live fleet, grouped, reachable over SSH."""
    hosts, inventory = pb_fleet
    directory = Path(inventory).parent / "fleet-inventory"
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    source = directory / "demo.fleet.yml"
    source.write_text(yaml.safe_dump({"plugin": "hybridfleet.ecs_anywhere.fleet", "regions": ["us-east-1"],
                                      "clusters": [CLUSTER], "endpoint_url": pb_emulator.url}))
    ssh_vars = yaml.safe_load(Path(inventory).read_text())["all"]["children"]["ecs_anywhere"]["vars"]
    (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump(
        {k: ssh_vars[k] for k in ("ansible_user", "ansible_ssh_private_key_file", "ansible_ssh_common_args",
                                  "ansible_python_interpreter")}))
    env = playbook_env(pb_emulator)
    env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "1"

    def tool(name, *args):
        return subprocess.run([str(Path(ANSIBLE_PLAYBOOK).parent / name), "-i", str(source)] + list(args), env=env,
                              capture_output=True, text=True, timeout=300, check=False)

    listed = tool("ansible-inventory", "--list")
    assert listed.returncode == 0, listed.stderr
    # ansible-inventory marks values from the plugin as unsafe: {"__ansible_unsafe": value}.
    hostvars = {name: {k: v["__ansible_unsafe"] if isinstance(v, dict) and "__ansible_unsafe" in v else v
                       for k, v in hv.items()}
                for name, hv in json.loads(listed.stdout)["_meta"]["hostvars"].items()}
    by_address = {hv["ssm_ip_address"]: name for name, hv in hostvars.items()}
    assert set(by_address) == {h.address for h in hosts}
    for name in by_address.values():
        assert hostvars[name]["ansible_host"] == hostvars[name]["ssm_ip_address"]
        assert (hostvars[name]["ecs_cluster"], hostvars[name]["ecs_status"]) == (CLUSTER, "ACTIVE")

    graph = tool("ansible-inventory", "--graph", "ecs_cluster_hybrid_cluster")
    assert graph.returncode == 0, graph.stderr
    assert all("--" + name in graph.stdout for name in by_address.values()), graph.stdout

    ping = tool("ansible", "ssm_ping_online:&ecs_status_active", "-m", "ansible.builtin.ping", "-o")
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("SUCCESS") == len(hosts), ping.stdout


def test_agent_update_rolls_to_the_newer_version(pb_fleet, pb_emulator, sandbox_versions):
    hosts, inventory = pb_fleet
    new = sandbox_versions["ecs_new"]
    result = run_playbook("agent_update", inventory, pb_emulator, "-e", "ecs_anywhere_agent_version=%s" % new)
    assert result.rc == 0, result.tail
    upstream = new.rsplit("-", 1)[0]
    # serial 25% of 3 hosts: one host per batch, so three batches.
    assert result.stdout.count("PLAY [Roll the update out]") == 3
    for ci in container_instances(pb_emulator):
        assert (ci["status"], ci["agentConnected"], ci["versionInfo"]["agentVersion"]) == ("ACTIVE", True, upstream)
    for h in hosts:
        meta = json.loads(h.exec("curl -sf http://localhost:51678/v1/metadata").stdout)
        assert meta["Version"].startswith("Amazon ECS Agent - v%s " % upstream)
        assert h.exec("dpkg-query -W -f '${Version}' amazon-ecs-init").stdout == new
        assert summary_row(result.stdout, h.name).endswith(" updated to %s" % upstream)
    # Nothing left to do: every host is skipped on a second run.
    again = run_playbook("agent_update", inventory, pb_emulator, "-e", "ecs_anywhere_agent_version=%s" % new)
    assert again.rc == 0, again.tail
    assert again.stdout.count("already at %s" % upstream) >= len(hosts)
    assert "updated to" not in again.stdout


def ssh_stopped(host):
    host.exec("systemctl stop ssh.socket ssh.service 2>/dev/null; systemctl stop ssh; true")
    return host.exec("systemctl is-active ssh", check=False).stdout.strip() != "active"


def ssm_inventory(inventory, hosts, name):
    """The same inventory with the hosts in this order, each naming its managed instance id (what the fleet inventory
    sets as ssm_instance_id)."""
    data = yaml.safe_load(Path(inventory).read_text())
    group = data["all"]["children"]["ecs_anywhere"]
    group["hosts"] = {h.name: dict(group["hosts"][h.name], ecs_anywhere_managed_instance_id=managed_instance_id(h))
                      for h in hosts}
    path = Path(inventory).with_name(name)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def managed_instance_id(host):
    return json.loads(host.exec("cat /var/lib/amazon/ssm/registration").stdout)["ManagedInstanceID"]


def installed_ecs_init(host):
    return host.exec("dpkg-query -W -f '${Version}' amazon-ecs-init").stdout


def installed_ssm_agent(host):
    return host.exec("dpkg-query -W -f '${Version}' amazon-ssm-agent").stdout


def ssm_update_journal(hosts):
    """What the hosts say about their SSM agent's own update: read when an assertion about it fails."""
    command = ("dpkg-query -W amazon-ssm-agent; systemctl list-units --all --no-pager 'hybridfleet-ssm-update-*'; "
               "journalctl --no-pager -o short-precise -n 60 -u 'hybridfleet-ssm-update-*' -u amazon-ssm-agent")
    said = []
    for host in hosts:
        result = host.exec(command, check=False)
        said.append("\n--- %s\n%s%s" % (host.name, result.stdout, result.stderr))
    return "".join(said)


def ssm_agent_versions(emulator, hosts):
    """The AgentVersion SSM reports for each host, in order."""
    ids = [managed_instance_id(h) for h in hosts]
    found = {i["InstanceId"]: i["AgentVersion"] for i in emulator.client("ssm").describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": ids}])["InstanceInformationList"]}
    return [found.get(i) for i in ids]


def test_agent_update_over_ssm_run_command_with_sshd_stopped(pb_fleet, pb_emulator, sandbox_versions):
    """Issue 14: no SSH at all. Two hosts roll back and forth through SSM Run Command; the third, whose SSM agent is
    stopped, is reported not reached and the rollout stops as ecs_anywhere_max_fail_percentage says."""
    hosts, inventory = pb_fleet
    old, new = sandbox_versions["ecs_old"], sandbox_versions["ecs_new"]
    old_upstream, upstream = old.rsplit("-", 1)[0], new.rsplit("-", 1)[0]
    up1, up2, down = hosts
    down_mi = managed_instance_id(down)
    ssm_run = ["-e", "ecs_anywhere_transport=ssm", "-e", "ecs_anywhere_update_timeout=30"]
    # The SSM agent installs itself 5 s after its command replied, restarts and heartbeats: on a loaded CI machine
    # that took more than the 30 s that suffice for the ECS agent (CI failed twice so); 90 s is still well under
    # the playbook's default of 300. It costs the stopped host's batch in the back leg 60 s more to time out.
    ssm_agent_budget = ["-e", "ecs_anywhere_update_timeout=90"]
    try:
        assert all(ssh_stopped(h) for h in hosts)
        # Stopped just now: SSM still shows it Online, so the command goes out and is never picked up.
        down.exec("systemctl stop amazon-ssm-agent")
        rollback = ["-e", "ecs_anywhere_agent_version=%s" % old, "-e", "ecs_anywhere_allow_downgrade=true"] + ssm_run
        # down first, one host per batch: its failure stops the rollout before up1 and up2 are touched.
        stopped = run_playbook("agent_update", ssm_inventory(inventory, [down, up1, up2], "ssm-stop.yml"), pb_emulator,
                               "-e", "ecs_anywhere_serial=1", *rollback)
        assert stopped.rc != 0, stopped.tail
        assert "SSM Run Command: not reached: its agent did not pick the command up" in summary_row(stopped.stdout, down.name), stopped.tail
        for h in (up1, up2):
            assert "not updated (rollout stopped after failures in an earlier batch)" in summary_row(stopped.stdout, h.name)
        assert [installed_ecs_init(h) for h in hosts] == [new] * 3

        # serial 2: up1 and up2 roll back together, their SSM agents too; down's batch fails after them.
        back = run_playbook("agent_update", ssm_inventory(inventory, [up1, up2, down], "ssm-back.yml"), pb_emulator,
                            "-e", "ecs_anywhere_serial=2", "-e", "ecs_anywhere_update_ssm_agent=true",
                            "-e", "ecs_anywhere_ssm_agent_version=%s" % sandbox_versions["ssm_old"], *rollback,
                            *ssm_agent_budget)
        assert back.rc != 0, back.tail
        assert "UNREACHABLE" not in back.stdout and "Gathering Facts" not in back.stdout, back.tail
        for h in (up1, up2):
            assert summary_row(back.stdout, h.name).endswith(" rolled back to %s" % old_upstream), \
                back.tail + ssm_update_journal((up1, up2))
            assert installed_ecs_init(h) == old
        assert "SSM Run Command: not reached: its agent did not pick the command up" in summary_row(back.stdout, down.name), back.tail
        assert installed_ecs_init(down) == new
        # The SSM agents rolled back through the command they ran: SSM reports the version, dpkg has it.
        assert ssm_agent_versions(pb_emulator, [up1, up2]) == [sandbox_versions["ssm_old"]] * 2
        assert [installed_ssm_agent(h) for h in (up1, up2)] == [sandbox_versions["ssm_old"]] * 2
        versions = {ci["ec2InstanceId"]: (ci["versionInfo"]["agentVersion"], ci["agentConnected"])
                    for ci in container_instances(pb_emulator)}
        assert versions == {managed_instance_id(up1): (old_upstream, True), managed_instance_id(up2): (old_upstream, True),
                            down_mi: (upstream, True)}
        ssm = pb_emulator.client("ssm")
        commands = ssm.list_commands()["Commands"]
        assert commands and all(c["DocumentName"] == "AWS-RunShellScript" for c in commands)
        # What SSM keeps of the commands (the script, each host's output) holds no activation code.
        kept = json.dumps([commands, ssm.list_command_invocations(Details=True)["CommandInvocations"]], default=str)
        assert "--status-fd 1 --verify" in kept and "signature verified" in kept
        # The script holds the host to the package the controller verified: its SHA-256 is the mirror's file's.
        verified = re.findall(r"deb\.amd64 ([0-9a-f]{64}) (\S+?)\"", kept)
        assert verified, kept[:3000]
        for sha, url in set(verified):
            with urllib.request.urlopen(url, timeout=30) as served:
                assert hashlib.sha256(served.read()).hexdigest() == sha, url
        activation_codes = codes(pb_emulator)
        assert activation_codes and not any(code in kept for code in activation_codes)

        down.exec("systemctl start amazon-ssm-agent")
        # The restarted SSM agent hands the ECS agent new credentials: it reconnects at its next heartbeat.
        wait_until("ECS to see %s connected at %s" % (down.name, upstream), lambda: [
            (ci["versionInfo"]["agentVersion"], ci["agentConnected"]) for ci in container_instances(pb_emulator)
            if ci["ec2InstanceId"] == down_mi] == [(upstream, True)], timeout=90)
        # One batch whose first host is already at the version: the batch's one command and one ECS wait still run.
        forward = run_playbook("agent_update", ssm_inventory(inventory, [down, up1, up2], "ssm-forward.yml"), pb_emulator,
                               "-e", "ecs_anywhere_agent_version=%s" % new, "-e", "ecs_anywhere_serial=100%",
                               "-e", "ecs_anywhere_update_ssm_agent=true",
                               "-e", "ecs_anywhere_ssm_agent_version=%s" % sandbox_versions["ssm_new"], *ssm_run,
                               *ssm_agent_budget)
        assert forward.rc == 0, forward.tail + ssm_update_journal((up1, up2))
        for h in (up1, up2):
            assert summary_row(forward.stdout, h.name).endswith(" updated to %s" % upstream), forward.tail
            assert installed_ecs_init(h) == new
        assert summary_row(forward.stdout, down.name).endswith(" already at %s" % upstream)
        assert ssm_agent_versions(pb_emulator, [up1, up2]) == [sandbox_versions["ssm_new"]] * 2
        for ci in container_instances(pb_emulator):
            assert (ci["status"], ci["agentConnected"], ci["versionInfo"]["agentVersion"]) == ("ACTIVE", True, upstream)
    finally:
        for h in hosts:
            h.exec("systemctl start amazon-ssm-agent ssh", check=False)


def test_drain_and_deregister_moves_the_tasks(pb_fleet, pb_emulator):
    hosts, inventory = pb_fleet
    ecs = pb_emulator.client("ecs")
    ecs.register_task_definition(
        family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
        containerDefinitions=[{"name": "web", "image": "nginx", "cpu": 128, "memory": 64, "essential": True}])
    ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=3, launchType="EXTERNAL")

    def running():
        arns = ecs.list_tasks(cluster=CLUSTER, serviceName="web", desiredStatus="RUNNING")["taskArns"]
        return ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []
    wait_until("3 web tasks running", lambda: len(running()) == 3, timeout=60)
    instances = {ci["containerInstanceArn"]: ci["ec2InstanceId"] for ci in container_instances(pb_emulator)}
    victim = hosts[0]
    victim_mi = json.loads(victim.exec("cat /var/lib/amazon/ssm/registration").stdout)["ManagedInstanceID"]
    victim_arn = next(arn for arn, mi in instances.items() if mi == victim_mi)
    assert any(t["containerInstanceArn"] == victim_arn for t in running())

    result = run_playbook("drain_and_deregister", inventory, pb_emulator, "--limit", victim.name)
    assert result.rc == 0, result.tail
    assert "Set DRAINING and wait for the tasks to move away, 1 instance(s) in %s, up to 600 s" % CLUSTER in result.stdout
    # Its tasks moved: the service runs 3 tasks again, none on the drained host.
    wait_until("service back to 3 tasks elsewhere",
               lambda: len(running()) == 3 and all(t["containerInstanceArn"] != victim_arn for t in running()), timeout=60)
    left = {ci["containerInstanceArn"]: ci for ci in container_instances(pb_emulator, status=None)}
    assert victim_arn not in left or left[victim_arn]["status"] == "INACTIVE"
    assert victim_mi not in [i["InstanceId"] for i in managed_instances(pb_emulator)]
    # The host is clean: no registration, no agent state, agents stopped and disabled.
    assert host_file(victim, "/var/lib/amazon/ssm/registration") is None
    assert victim.exec("test -e /var/lib/ecs/data/agent.db", check=False).returncode != 0
    assert victim.exec("systemctl is-active ecs", check=False).stdout.strip() != "active"
    assert summary_row(result.stdout, victim.name).endswith(" deregistered and cleaned")
    # The other hosts are untouched.
    others = [ci for ci in container_instances(pb_emulator) if ci["ec2InstanceId"] != victim_mi]
    assert [(ci["status"], ci["agentConnected"]) for ci in others] == [("ACTIVE", True)] * 2


def test_drain_and_deregister_over_ssm_cleans_a_host_without_ssh(pb_fleet, pb_emulator):
    """Issue 14: the second host leaves the fleet with sshd stopped; SSM Run Command cleans it before its managed
    instance is deregistered, and its SSM agent stops itself once it has replied."""
    hosts, inventory = pb_fleet
    victim = hosts[1]
    victim_mi = managed_instance_id(victim)
    victim_arn = next(ci["containerInstanceArn"] for ci in container_instances(pb_emulator) if ci["ec2InstanceId"] == victim_mi)
    ecs = pb_emulator.client("ecs")
    try:
        assert ssh_stopped(victim)
        result = run_playbook("drain_and_deregister", ssm_inventory(inventory, hosts[1:], "ssm-drain.yml"), pb_emulator,
                              "--limit", victim.name, "-e", "ecs_anywhere_transport=ssm")
    finally:
        victim.exec("systemctl start ssh")
    assert result.rc == 0, result.tail
    assert "UNREACHABLE" not in result.stdout and "Gathering Facts" not in result.stdout, result.tail
    assert summary_row(result.stdout, victim.name).endswith(" deregistered and cleaned"), result.tail
    assert victim_mi not in [i["InstanceId"] for i in managed_instances(pb_emulator)]
    assert victim_mi not in [ci["ec2InstanceId"] for ci in container_instances(pb_emulator)]

    def running_on():
        arns = ecs.list_tasks(cluster=CLUSTER, serviceName="web", desiredStatus="RUNNING")["taskArns"]
        return [t["containerInstanceArn"] for t in ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]] if arns else []
    wait_until("3 web tasks running, none on %s" % victim.name,
               lambda: len(running_on()) == 3 and victim_arn not in running_on(), timeout=60)
    assert victim.exec("systemctl is-active ecs", check=False).stdout.strip() != "active"
    assert victim.exec("test -e /var/lib/ecs -o -e /etc/ecs", check=False).returncode != 0
    wait_until("the SSM agent of %s to stop and forget its registration" % victim.name,
               lambda: victim.exec("systemctl is-active amazon-ssm-agent", check=False).stdout.strip() != "active"
               and host_file(victim, "/var/lib/amazon/ssm/registration") is None, timeout=90)
    assert victim.exec("systemctl is-enabled amazon-ssm-agent", check=False).stdout.strip() != "enabled"


def test_register_with_a_host_lost_midway(pb_fleet, pb_emulator, sandbox_versions):
    """The drained hosts (over SSH and over SSM) enroll again from scratch while another host is stopped during the run."""
    hosts, inventory = pb_fleet
    drained, lost = hosts[:2], hosts[2]
    before = len(activations_report(pb_emulator))

    def stop_lost_host(line):
        if line.startswith("PLAY [Enroll the hosts]"):
            docker("stop", lost.name)
            return True
        return False
    result = run_playbook("register", inventory, pb_emulator, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_new"],
                          on_line=stop_lost_host)
    assert result.rc != 0
    assert " FAILED (unreachable)" in summary_row(result.stdout, lost.name)
    for host in drained:
        assert re.search(r"ACTIVE connected .* enrolled$", summary_row(result.stdout, host.name))
    # One activation for the two unregistered hosts, deleted although the run failed.
    new = activations_report(pb_emulator)[before:]
    assert [(a["RegistrationLimit"], a["RegistrationsCount"]) for a in new] == [(2, 2)]
    assert_no_activation_left(pb_emulator)
    for host in drained:
        mi = managed_instance_id(host)
        assert [(ci["status"], ci["agentConnected"]) for ci in container_instances(pb_emulator) if ci["ec2InstanceId"] == mi] \
            == [("ACTIVE", True)]


def test_register_rerun_completes_and_changes_nothing(pb_fleet, pb_emulator, sandbox_versions):
    hosts, inventory = pb_fleet
    lost = hosts[2]
    docker("start", lost.name)
    wait_until("systemd on %s" % lost.name, lambda: lost.exec("systemctl is-system-running --wait", check=False)
               .stdout.strip() in ("running", "degraded"), timeout=120)
    # A restarted container may get another address on the bridge: update the inventory, as an
    # operator would update DNS.
    address = subprocess.run(["docker", "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", lost.name],
                             check=True, capture_output=True, text=True).stdout.strip()
    data = yaml.safe_load(Path(inventory).read_text())
    data["all"]["children"]["ecs_anywhere"]["hosts"][lost.name]["ansible_host"] = address
    Path(inventory).write_text(yaml.safe_dump(data, sort_keys=False))
    before = len(activations_report(pb_emulator))
    # The pin is the older version, below what agent_update rolled out: enrolled hosts keep theirs (issue 13
    # section 5: the next register used to fail on every upgraded host).
    result = run_playbook("register", inventory, pb_emulator, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_old"])
    assert result.rc == 0, result.tail
    # Every host was enrolled already: no activation, no change on any host.
    assert len(activations_report(pb_emulator)) == before
    counts = recap(result.stdout)
    for h in hosts:
        assert counts[h.name]["changed"] == 0, (h.name, result.tail)
        assert re.search(r"ACTIVE connected .* already enrolled$", summary_row(result.stdout, h.name))
        assert h.exec("dpkg-query -W -f '${Version}' amazon-ecs-init").stdout == sandbox_versions["ecs_new"]
    active = [ci for ci in container_instances(pb_emulator) if ci["status"] == "ACTIVE" and ci["agentConnected"]]
    assert len(active) == 3


@pytest.fixture(scope="module")
def fleet_inventory(pb_fleet, pb_emulator, tmp_path_factory):
    """A `fleet` inventory source beside group_vars holding what the static inventory's group holds (SSH login, the
    sandbox's endpoint, mirror and key): the directory to pass to -i. Its enrolled hosts land in `ecs_anywhere`."""
    _, inventory = pb_fleet
    directory = tmp_path_factory.mktemp("fleet-inventory")
    (directory / "group_vars").mkdir()
    (directory / "live.fleet.yml").write_text(yaml.safe_dump({
        "plugin": "hybridfleet.ecs_anywhere.fleet", "regions": ["us-east-1"], "clusters": [CLUSTER],
        "endpoint_url": pb_emulator.url}))
    group_vars = yaml.safe_load(Path(inventory).read_text())["all"]["children"]["ecs_anywhere"]["vars"]
    (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars))
    return str(directory)


def test_agent_update_over_ssm_on_the_fleet_inventory(pb_fleet, pb_emulator, fleet_inventory, sandbox_versions):
    """ecs_anywhere_transport=ssm on the live `fleet` inventory, whose ssm_instance_id names each host: the first
    host, sshd stopped, rolls back to the older agent through Run Command."""
    hosts, _ = pb_fleet
    old = sandbox_versions["ecs_old"]
    mi = managed_instance_id(hosts[0])
    try:
        assert ssh_stopped(hosts[0])
        result = run_playbook("agent_update", fleet_inventory, pb_emulator, "--limit", hosts[0].name,
                              "-e", "ecs_anywhere_agent_version=%s" % old, "-e", "ecs_anywhere_allow_downgrade=true",
                              "-e", "ecs_anywhere_transport=ssm")
    finally:
        hosts[0].exec("systemctl start ssh")
    assert result.rc == 0, result.tail
    assert "UNREACHABLE" not in result.stdout, result.tail
    assert [ci["versionInfo"]["agentVersion"] for ci in container_instances(pb_emulator)
            if ci["ec2InstanceId"] == mi] == [old.rsplit("-", 1)[0]]
    assert installed_ecs_init(hosts[0]) == old


def test_a_call_outside_the_policy_is_denied_and_named(pb_fleet, pb_emulator, fleet_inventory):
    """The policy without ecs:DeregisterContainerInstance, on the live `fleet` inventory: the drain stops at that
    call, which AWS's error names, and nothing is deregistered."""
    hosts, _ = pb_fleet
    policy = json.loads(POLICY.read_text())
    for statement in policy["Statement"]:
        if isinstance(statement["Action"], list) and "ecs:DeregisterContainerInstance" in statement["Action"]:
            statement["Action"].remove("ecs:DeregisterContainerInstance")
    narrow = operator(pb_emulator, "fleet-operator-narrow", policy)
    env = dict(playbook_env(pb_emulator), ANSIBLE_INVENTORY_UNPARSED_FAILED="1", **narrow)
    victim_mi = managed_instance_id(hosts[0])
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "hybridfleet.ecs_anywhere.drain_and_deregister", "-i", fleet_inventory,
                           "--limit", hosts[0].name], env=env, capture_output=True, text=True, timeout=900, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-6000:]
    assert "AccessDeniedException" in out, out[-6000:]
    assert "is not authorized to perform: ecs:DeregisterContainerInstance" in out
    # Refused means not done: its container instance and its managed instance are still registered.
    assert [ci["status"] for ci in container_instances(pb_emulator, status=None)
            if ci["ec2InstanceId"] == victim_mi] in (["ACTIVE"], ["DRAINING"])
    assert victim_mi in [i["InstanceId"] for i in managed_instances(pb_emulator)]
