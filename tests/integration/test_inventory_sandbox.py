"""The fleet inventory on real sandbox hosts: enrolled hosts appear under their computer names, in the default
groups, and Ansible reaches them through the inventory (ansible_host = the address their SSM agent reports).

Hosts are enrolled by hand with the same steps as test_sandbox_fleet.py (the register playbook's own proof lives
with the playbook); what is tested here is the inventory built from what the agents reported.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox_fixtures import (  # noqa: F401  (fixtures are used by name)
    docker_engine, host_emulator, mirror, sandbox_packages, test_fleet, wait_until)
from test_sandbox_fleet import CLUSTER, aws, enroll  # noqa: F401  (aws is a fixture)

pytestmark = pytest.mark.hosts

BIN = Path(sys.executable).parent
SSH_VARS = ("ansible_user", "ansible_ssh_private_key_file", "ansible_ssh_common_args", "ansible_python_interpreter")


@pytest.fixture(scope="module")
def enrolled(test_fleet, aws, host_emulator, mirror):  # noqa: F811
    hosts = test_fleet.up(2, "bookworm")
    for host in hosts:
        host.instance_id = enroll(host, aws[0], host_emulator, mirror)
    return hosts


@pytest.fixture(scope="module")
def fleet_inventory(enrolled, test_fleet, host_emulator, tmp_path_factory):  # noqa: F811
    """demo.fleet.yml plus group_vars/all.yml with the sandbox's SSH settings, as an operator would lay it out."""
    directory = tmp_path_factory.mktemp("fleet-inventory")
    (directory / "demo.fleet.yml").write_text(yaml.safe_dump({
        "plugin": "hybridfleet.ecs_anywhere.fleet", "regions": ["us-east-1"], "clusters": [CLUSTER],
        "endpoint_url": host_emulator.url}))
    sandbox_vars = test_fleet.inventory()["all"]["children"]["ecs_anywhere"]["vars"]
    (directory / "group_vars").mkdir()
    (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump({k: sandbox_vars[k] for k in SSH_VARS}))
    return directory / "demo.fleet.yml"


def ansible(host_emulator, tool, *args):
    env = host_emulator.env()
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_INVENTORY_UNPARSED_FAILED="1", ANSIBLE_HOST_KEY_CHECKING="0")
    return subprocess.run([str(BIN / tool)] + list(args), env=env, capture_output=True, text=True, timeout=300, check=False)


def test_graph_lists_the_enrolled_hosts_in_their_groups(enrolled, fleet_inventory, host_emulator):  # noqa: F811
    listed = ansible(host_emulator, "ansible-inventory", "-i", str(fleet_inventory), "--list")
    assert listed.returncode == 0, listed.stderr
    inventory = json.loads(listed.stdout)
    hostvars = {name: {k: (v.get("__ansible_unsafe") if isinstance(v, dict) and "__ansible_unsafe" in v else v)
                       for k, v in hv.items()} for name, hv in inventory["_meta"]["hostvars"].items()}
    by_id = {hv["ssm_instance_id"]: name for name, hv in hostvars.items()}
    assert set(by_id) == {h.instance_id for h in enrolled}
    for host in enrolled:
        hv = hostvars[by_id[host.instance_id]]
        assert hv["ansible_host"] == hv["ssm_ip_address"] == host.address
        assert hv["ecs_cluster"] == CLUSTER and hv["ecs_status"] == "ACTIVE"

    graph = ansible(host_emulator, "ansible-inventory", "-i", str(fleet_inventory), "--graph", "ecs_cluster_hybrid_cluster")
    assert graph.returncode == 0, graph.stderr
    for name in by_id.values():
        assert "--" + name in graph.stdout
    # The ECS agent reports in every second here; wait for it rather than assume it already did.
    wait_until("both ECS agents connected", lambda: len(json.loads(ansible(
        host_emulator, "ansible-inventory", "-i", str(fleet_inventory), "--list").stdout).get("ecs_agent_disconnected", {})
        .get("hosts", [])) == 0, timeout=60, interval=2)


def test_ad_hoc_ping_reaches_every_host_through_the_fleet_inventory(enrolled, fleet_inventory, host_emulator):  # noqa: F811
    ping = ansible(host_emulator, "ansible", "-i", str(fleet_inventory), "ssm_ping_online:&ecs_status_active",
                   "-m", "ansible.builtin.ping", "-o")
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("SUCCESS") == len(enrolled), ping.stdout
