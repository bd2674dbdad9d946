"""The fleet inventory plugin against the emulated control plane: content, call cost, errors and cache."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")
PLUGIN = "hybridfleet.ecs_anywhere.fleet"


def plain(data):
    """ansible-inventory --list marks untrusted strings as {'__ansible_unsafe': value}; unwrap them."""
    if isinstance(data, dict):
        if set(data) == {"__ansible_unsafe"}:
            return data["__ansible_unsafe"]
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def write_inventory(tmp_path, name="demo.fleet.yml", **options):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(dict({"plugin": PLUGIN, "regions": ["us-east-1"]}, **options), sort_keys=False))
    return path


def run_inventory(emulator, path, *args, env=None, drop_env=()):
    run_env = emulator.env()
    for key in drop_env:
        run_env.pop(key, None)
    # A parse failure must fail the command, not just warn and print an empty inventory.
    run_env.update({"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1", "AWS_EC2_METADATA_DISABLED": "true"}, **(env or {}))
    return subprocess.run([ANSIBLE_INVENTORY, "-i", str(path)] + list(args or ["--list"]), env=run_env, capture_output=True,
                          text=True, timeout=300, check=False)


def inventory_list(emulator, path, **kwargs):
    proc = run_inventory(emulator, path, "--list", **kwargs)
    assert proc.returncode == 0, proc.stderr
    return plain(json.loads(proc.stdout))


def members(inventory, group):
    return set(inventory.get(group, {}).get("hosts", []))


@pytest.fixture
def fleet_1000(emulator):
    """1,000 managed instances, each with an ACTIVE connected container instance: 600 in alpha, 400 in beta."""
    return {"alpha": emulator.seed("alpha", 600), "beta": emulator.seed("beta", 400)}


def test_inventory_of_1000_hosts_is_complete_and_costs_pages_not_hosts(emulator, fleet_1000, tmp_path):
    ssm_client = emulator.client("ssm")
    lost = fleet_1000["beta"]["managed_instance_ids"][7]
    ecs = emulator.client("ecs")
    draining = fleet_1000["alpha"]["container_instance_arns"][3]
    ecs.update_container_instances_state(cluster="alpha", containerInstances=[draining], status="DRAINING")
    path = write_inventory(tmp_path, clusters=["alpha", "beta"])
    emulator.reset_stats()

    inventory = inventory_list(emulator, path)

    calls = emulator.stats()["calls"]
    ssm_calls = sum(n for op, n in calls.items() if op.startswith("ssm:"))
    ecs_calls = sum(n for op, n in calls.items() if op.startswith("ecs:"))
    assert ssm_calls <= 20 and ecs_calls <= 22, calls
    assert calls["ssm:DescribeInstanceInformation"] == 20  # 1,000 / 50
    assert calls["ecs:ListContainerInstances"] == 10 and calls["ecs:DescribeContainerInstances"] == 10  # 600/100 + 400/100

    hostvars = inventory["_meta"]["hostvars"]
    assert len(hostvars) == 1000
    assert len(members(inventory, "ecs_cluster_alpha")) == 600
    assert len(members(inventory, "ecs_cluster_beta")) == 400
    assert len(members(inventory, "ssm_ping_online")) == 1000
    assert members(inventory, "ecs_status_draining") == {"seed-alpha-0004"}
    assert len(members(inventory, "ecs_status_active")) == 999
    assert not members(inventory, "not_in_ecs") and not members(inventory, "ecs_agent_disconnected")

    host = hostvars["seed-beta-0008"]
    assert host["ssm_instance_id"] == lost
    assert host["ansible_host"] == host["ssm_ip_address"] == "10.0.0.8"
    assert host["ecs_cluster"] == "beta" and host["ecs_status"] == "ACTIVE" and host["ecs_agent_connected"] is True
    assert host["ecs_container_instance_arn"] == fleet_1000["beta"]["container_instance_arns"][7]
    described = ssm_client.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [lost]}])["InstanceInformationList"][0]
    assert host["ssm_agent_running_version"] == described["AgentVersion"]
    assert host["ssm_computer_name"] == described["ComputerName"] == "seed-beta-0008"
    assert host["ecs_attributes"]["ecs.os-type"] == "linux"
    assert isinstance(host["ecs_registered_cpu"], int) and isinstance(host["ecs_remaining_memory"], int)
    assert hostvars["seed-alpha-0004"]["ecs_status"] == "DRAINING"


def test_hosts_without_container_instance_or_agent_are_grouped(emulator, tmp_path):
    fleet = emulator.seed("alpha", 5)
    ecs = emulator.client("ecs")
    gone = fleet["container_instance_arns"][0]
    ecs.deregister_container_instance(cluster="alpha", containerInstance=gone, force=True)
    path = write_inventory(tmp_path, clusters=["alpha"], hostnames=["instance_id"], ansible_host_from="none",
                           keyed_groups=[{"key": "ecs_agent_running_version", "prefix": "agent"}],
                           groups={"arm": "ecs_attributes is defined and ecs_attributes['ecs.cpu-architecture'] == 'arm64'"},
                           compose={"site": "'lab-' ~ ssm_computer_name[-2:]"})

    inventory = inventory_list(emulator, path)

    ids = fleet["managed_instance_ids"]
    assert members(inventory, "not_in_ecs") == {ids[0]}
    assert members(inventory, "ecs_cluster_alpha") == set(ids[1:])
    # the playbooks' default target: enrolled hosts only, not the one SSM knows without a container instance
    assert members(inventory, "ecs_anywhere") == set(ids[1:])
    assert "ansible_host" not in inventory["_meta"]["hostvars"][ids[1]]
    assert inventory["_meta"]["hostvars"][ids[1]]["site"] == "lab-02"
    versions = {inventory["_meta"]["hostvars"][i]["ecs_agent_running_version"] for i in ids[1:]}
    assert {g for g in inventory if g.startswith("agent_")} == {"agent_" + v.replace(".", "_") for v in versions}
    arm = {i for i in ids[1:] if inventory["_meta"]["hostvars"][i]["ecs_attributes"]["ecs.cpu-architecture"] == "arm64"}
    assert arm and members(inventory, "arm") == arm


def test_ping_status_and_tag_filters_are_applied(emulator, tmp_path):
    fleet = emulator.seed("alpha", 6)
    ssm = emulator.client("ssm")
    tagged = fleet["managed_instance_ids"][:2]
    for instance_id in tagged:
        ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": "site", "Value": "lyon"}])
    path = write_inventory(tmp_path, clusters=["alpha"], ping_status=["Online"], tag_filters={"site": "lyon"},
                           include_ssm_tags=True, hostnames=["instance_id"])

    inventory = inventory_list(emulator, path)

    assert set(inventory["_meta"]["hostvars"]) == set(tagged)
    assert inventory["_meta"]["hostvars"][tagged[0]]["ssm_tags"]["site"] == "lyon"
    filtered = write_inventory(tmp_path, "lost.fleet.yml", clusters=["alpha"], ping_status=["ConnectionLost"])
    inventory = inventory_list(emulator, filtered)
    assert inventory["_meta"]["hostvars"] == {}


def test_ssm_tags_of_the_whole_region_come_100_per_call(emulator, tmp_path):
    fleet = emulator.seed("alpha", 150)
    emulator.client("ssm").add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=fleet["managed_instance_ids"][9],
                                                Tags=[{"Key": "site", "Value": "lyon"}])
    path = write_inventory(tmp_path, clusters=["alpha"], include_ssm_tags=True, hostnames=["instance_id"])
    emulator.reset_stats()

    hostvars = inventory_list(emulator, path)["_meta"]["hostvars"]

    assert hostvars[fleet["managed_instance_ids"][9]]["ssm_tags"] == {"seeded-cluster": "alpha", "site": "lyon"}
    assert all(hv["ssm_tags"]["seeded-cluster"] == "alpha" for hv in hostvars.values()) and len(hostvars) == 150
    assert emulator.calls("tagging:GetResources") == 2 and emulator.calls("ssm:ListTagsForResource") == 0


@pytest.mark.parametrize("options, expected", [
    ({"cluster": ["alpha"]}, "unknown option(s) 'cluster' (did you mean 'clusters'?)"),
    ({"clusters": ["alpha"], "hostname": ["ip_address"]}, "'hostname' (did you mean 'hostnames'?)"),
    ({"clusters": ["alpha", "nosuch"]}, "cluster 'nosuch' does not exist in region us-east-1"),
    ({"clusters": ["alpha"], "hostnames": ["fqdn"]}, "Invalid value ['fqdn'] for config 'hostnames'"),
    ({"clusters": ["alpha"], "enrolled_group": "ecs-anywhere"}, "enrolled_group must be a group name"),
])
def test_bad_configuration_fails_with_a_clear_message(emulator, tmp_path, options, expected):
    emulator.seed("alpha", 2)
    path = tmp_path / "bad.fleet.yml"
    path.write_text(yaml.safe_dump(dict({"plugin": PLUGIN, "regions": ["us-east-1"]}, **options)))
    proc = run_inventory(emulator, path)
    assert proc.returncode != 0
    assert expected in proc.stderr, proc.stderr


def test_missing_credentials_fail_with_a_clear_message(emulator, tmp_path):
    emulator.seed("alpha", 2)
    path = write_inventory(tmp_path, clusters=["alpha"])
    proc = run_inventory(emulator, path, drop_env=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"),
                         env={"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                              "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")})
    assert proc.returncode != 0
    assert "no AWS credentials found" in proc.stderr, proc.stderr


def test_no_region_fails_with_a_clear_message(emulator, tmp_path):
    path = tmp_path / "noregion.fleet.yml"
    path.write_text(yaml.safe_dump({"plugin": PLUGIN, "clusters": ["alpha"]}))
    proc = run_inventory(emulator, path, drop_env=("AWS_REGION", "AWS_DEFAULT_REGION"),
                         env={"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "none")})
    assert proc.returncode != 0
    assert "no region configured" in proc.stderr, proc.stderr


def test_cached_inventory_makes_no_calls_until_flushed(emulator, tmp_path):
    emulator.seed("alpha", 120)
    path = write_inventory(tmp_path, clusters=["alpha"], cache=True, cache_plugin="ansible.builtin.jsonfile",
                           cache_connection=str(tmp_path / "cache"), cache_timeout=600)
    first = inventory_list(emulator, path)
    assert emulator.calls("ssm:DescribeInstanceInformation") == 3
    emulator.reset_stats()

    second = inventory_list(emulator, path)
    assert emulator.stats()["total"] == 0
    assert second == first

    flushed = run_inventory(emulator, path, "--list", "--flush-cache")
    assert flushed.returncode == 0, flushed.stderr
    assert emulator.calls("ssm:DescribeInstanceInformation") == 3
    assert emulator.calls("ecs:DescribeContainerInstances") == 2


def test_worked_example_inventory_parses_and_builds_its_groups(emulator, tmp_path):
    fleet = emulator.seed("hybrid-cluster", 6)
    example = Path(__file__).resolve().parents[2] / "inventory" / "example.fleet.yml"
    path = tmp_path / "example.fleet.yml"
    path.write_text(example.read_text())

    inventory = inventory_list(emulator, path)

    hostvars = inventory["_meta"]["hostvars"]
    assert members(inventory, "ecs_cluster_hybrid_cluster") == set(hostvars) and len(hostvars) == len(fleet["managed_instance_ids"])
    outdated = {h for h, v in hostvars.items() if tuple(map(int, v["ecs_agent_running_version"].split("."))) < (1, 106, 0)}
    assert outdated and members(inventory, "ecs_agent_outdated") == outdated
    for name, hv in hostvars.items():
        assert name in members(inventory, "ecs_agent_" + hv["ecs_agent_running_version"].replace(".", "_"))


def test_enrolled_group_is_configurable_and_spans_the_clusters(emulator, tmp_path):
    alpha, beta = emulator.seed("alpha", 3), emulator.seed("beta", 2)
    emulator.client("ecs").update_container_instances_state(cluster="beta", containerInstances=[beta["container_instance_arns"][0]],
                                                             status="DRAINING")
    path = write_inventory(tmp_path, clusters=["alpha", "beta"], hostnames=["instance_id"], enrolled_group="edge", default_groups=False)
    inventory = inventory_list(emulator, path)
    assert members(inventory, "edge") == set(alpha["managed_instance_ids"] + beta["managed_instance_ids"])
    assert "ecs_anywhere" not in inventory and "ecs_cluster_alpha" not in inventory
    only_alpha = write_inventory(tmp_path, "alpha.fleet.yml", clusters=["alpha"], hostnames=["instance_id"])
    proc = run_inventory(emulator, only_alpha, "--graph", "ecs_anywhere")
    assert proc.returncode == 0, proc.stderr
    assert all(mid in proc.stdout for mid in alpha["managed_instance_ids"])
    assert not any(mid in proc.stdout for mid in beta["managed_instance_ids"])
