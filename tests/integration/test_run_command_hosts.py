"""ssm_command on sandbox hosts that no SSH reaches: two Debian 12 hosts get the stand-in SSM agent from the mirror and
register (the existing helpers), then their sshd is stopped; the real stand-in agent fetches the script through
ec2messages, runs it as root and answers. A host whose agent is stopped is reported not reached; a hidden secret never
shows in the task's output.

The tests run in order on the same two hosts (module-scoped fixtures), like an operator's session.
"""
import json
import socket
import time

import pytest

from sandbox_fixtures import install_agents, register_ssm, wait_until
from conftest import PlaybookRun

pytestmark = pytest.mark.hosts

MODULE = "hybridfleet.ecs_anywhere.ssm_command"
ROLE = "ecsAnywhereRole"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def write_agent_config(host, emulator_url, region="us-east-1"):
    """What the ssm_agent role renders for a test control plane: SSM and ec2messages (Mds) at the emulator, a heartbeat
    every 6 s."""
    config = {"Agent": {"Region": region}, "Ssm": {"Endpoint": emulator_url, "HealthFrequencyMinutes": 0.1},
              "Mds": {"Endpoint": emulator_url}}
    host.exec("cat > /etc/amazon/ssm/amazon-ssm-agent.json", input=json.dumps(config, indent=1))


def ssh_answers(address):
    try:
        with socket.create_connection((address, 22), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def hosts(test_fleet, host_emulator, mirror):
    """Two registered hosts whose sshd is stopped; each with .instance_id."""
    ssm = host_emulator.client("ssm")
    host_emulator.client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    activation = ssm.create_activation(IamRole=ROLE, RegistrationLimit=2, DefaultInstanceName="no-ssh")
    enrolled = test_fleet.up(2, "bookworm")
    for host in enrolled:
        install_agents(host, mirror.host_url)
        host.exec("systemctl stop amazon-ssm-agent")
        write_agent_config(host, host_emulator.host_url)
        register_ssm(host, activation["ActivationId"], activation["ActivationCode"])
        host.exec("systemctl start amazon-ssm-agent")
        host.instance_id = json.loads(host.exec("cat /var/lib/amazon/ssm/registration").stdout)["ManagedInstanceID"]
        host.exec("systemctl stop ssh.service ssh.socket 2>/dev/null; systemctl stop ssh; systemctl is-active ssh || true")
        wait_until("sshd of %s to be down" % host.name, lambda h=host: not ssh_answers(h.address), timeout=30)
    online = lambda: all(i["PingStatus"] == "Online" for i in ssm.describe_instance_information()["InstanceInformationList"])  # noqa: E731
    wait_until("both agents online", online, timeout=60)
    return enrolled


@pytest.fixture
def play(host_emulator, tmp_path):
    return PlaybookRun(host_emulator, tmp_path)


def test_the_agent_runs_the_script_as_root_and_the_module_returns_its_output(play, hosts):
    assert not any(ssh_answers(h.address) for h in hosts)
    (result,) = play({MODULE: {"instance_ids": [h.instance_id for h in hosts], "poll_interval": 2, "commands": [
        "set -e", "id -un", "hostname -f", "pwd", "echo \"$SSM_COMMAND_ID\" > /root/ran-by-ssm", "echo warning >&2"]}})
    assert result["changed"] is True and result["status"] == "Success"
    for host in hosts:
        mine = result["instances"][host.instance_id]
        assert (mine["outcome"], mine["response_code"], mine["reached"]) == ("success", 0, True)
        assert mine["stdout"].splitlines() == ["root", host.exec("hostname -f").stdout.strip(), "/usr/bin"]
        assert mine["stderr"] == "warning\n" and mine["instance_name"] == host.exec("hostname -f").stdout.strip()
        assert host.exec("cat /root/ran-by-ssm").stdout.strip() == result["command_id"]
        # The agent keeps the script where the real one does, readable by root only.
        script = host.exec("find /var/lib/amazon/ssm/%s/document/orchestration/%s -name _script.sh -printf '%%m %%u'"
                           % (host.instance_id, result["command_id"])).stdout
        assert script == "700 root"


def test_the_execution_timeout_kills_the_script_on_the_host(play, hosts):
    host = hosts[0]
    (result,) = play({MODULE: {"instance_ids": [host.instance_id], "commands": ["echo started", "sleep 120", "touch /root/late"],
                               "execution_timeout": 5, "poll_interval": 2}, "expect_failure": True})
    mine = result["instances"][host.instance_id]
    assert (mine["outcome"], mine["status_details"], mine["response_code"], mine["stdout"]) == \
        ("timed_out", "ExecutionTimedOut", 137, "started\n")
    assert "killed after execution_timeout (5 s, exit code 137)" in result["msg"]
    assert host.exec("pgrep -f 'sleep 120'", check=False).returncode == 1
    assert host.exec("test -e /root/late", check=False).returncode == 1


def test_a_host_whose_agent_is_stopped_is_reported_not_reached(play, hosts, host_emulator):
    up, down = hosts
    down.exec("systemctl stop amazon-ssm-agent")
    started = time.monotonic()
    (result,) = play({MODULE: {"instance_ids": [up.instance_id, down.instance_id], "commands": ["touch /root/second-run"],
                               "delivery_timeout": 30, "execution_timeout": 5, "poll_interval": 3}, "expect_failure": True})
    assert time.monotonic() - started >= 35
    assert result["outcomes"] == {"success": [up.instance_id], "not_reached": [down.instance_id]}
    assert result["instances"][down.instance_id]["status_details"] == "DeliveryTimedOut"
    assert "%s: not reached: its agent did not pick the command up" % down.instance_id in result["msg"]
    # Started again, the agent finds nothing to run: the command expired.
    down.exec("systemctl start amazon-ssm-agent")
    time.sleep(15)
    assert down.exec("test -e /root/second-run", check=False).returncode == 1
    assert up.exec("test -e /root/second-run", check=False).returncode == 0
    # Once SSM sees it offline, skip_offline reports it at once.
    down.exec("systemctl stop amazon-ssm-agent")
    host_emulator._call("POST", "/_emulator/config", {"heartbeat_timeout": 10})
    ssm = host_emulator.client("ssm")
    wait_until("%s ConnectionLost" % down.instance_id, lambda: ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [down.instance_id]}])["InstanceInformationList"][0]["PingStatus"] == "ConnectionLost",
        timeout=40)
    started = time.monotonic()
    (skipped,) = play({MODULE: {"instance_ids": [up.instance_id, down.instance_id], "commands": ["true"], "skip_offline": True,
                                "poll_interval": 2}, "expect_failure": True})
    assert time.monotonic() - started < 60
    assert skipped["instances"][down.instance_id]["status_details"] == "Offline"
    assert skipped["instances"][up.instance_id]["outcome"] == "success"
    down.exec("systemctl start amazon-ssm-agent")


def test_a_hidden_secret_never_shows_in_the_tasks_output(play, hosts, tmp_path):
    host = hosts[1]
    wait_until("the agent of %s back" % host.name, lambda: host.exec("systemctl is-active amazon-ssm-agent", check=False).returncode == 0)
    secret = "edge-secret-%d" % time.time_ns()
    log = tmp_path / "ansible.log"
    (result,) = play({MODULE: {"instance_ids": [host.instance_id], "hide_commands": True, "secrets": [secret], "poll_interval": 2,
                               "delivery_timeout": 60, "commands": ["set -x", "printf '%s' '" + secret + "' > /root/token", "echo stored"]}},
                     env={"ANSIBLE_LOG_PATH": str(log)})
    mine = result["instances"][host.instance_id]
    assert mine["outcome"] == "success" and mine["stdout"] == "stored\n"
    # sh's set -x printed the line quoted its own way (+ printf %s SECRET): `secrets` masks the value there too.
    assert "+ printf %s ********" in mine["stderr"]
    assert secret not in play.last_stdout and secret not in log.read_text()
    assert host.exec("cat /root/token").stdout == secret  # it did reach the host
