"""Joining SSM managed instances with ECS container instances, and the host variables that come out."""
import datetime
import json

from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_hostvars import host_vars
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_join import join_fleet

WHEN = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def managed(instance_id, computer_name=None, ip="10.0.0.1", ping="Online"):
    return {"InstanceId": instance_id, "PingStatus": ping, "LastPingDateTime": WHEN, "AgentVersion": "3.3.1957.0",
            "IPAddress": ip, "ComputerName": computer_name or instance_id, "PlatformType": "Linux",
            "PlatformName": "Debian GNU/Linux", "PlatformVersion": "12", "ResourceType": "ManagedInstance",
            "RegistrationDate": WHEN, "ActivationId": "act-1", "IamRole": "ecsAnywhereRole", "Name": "edge"}


def container(managed_id, uid, status="ACTIVE", connected=True, version="1.106.0", registered=WHEN):
    return {"containerInstanceArn": f"arn:aws:ecs:us-east-1:123456789012:container-instance/c/{uid}",
            "ec2InstanceId": managed_id, "status": status, "agentConnected": connected,
            "versionInfo": {"agentVersion": version, "dockerVersion": "DockerVersion: 25.0.5"},
            "runningTasksCount": 2, "pendingTasksCount": 1, "registeredAt": registered,
            "registeredResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                                    {"name": "MEMORY", "type": "INTEGER", "integerValue": 3904}],
            "remainingResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 1024},
                                   {"name": "MEMORY", "type": "INTEGER", "integerValue": 1000}],
            "attributes": [{"name": "ecs.os-type", "value": "linux"}, {"name": "ecs.capability.external"}],
            "tags": [{"key": "site", "value": "lyon"}]}


def test_each_managed_instance_is_joined_with_its_container_instance_across_clusters():
    records = join_fleet("us-east-1", [managed("mi-aaaaaaaaaaaaaaaaa"), managed("mi-bbbbbbbbbbbbbbbbb")],
                         {"blue": [container("mi-bbbbbbbbbbbbbbbbb", "b1")], "green": [container("mi-aaaaaaaaaaaaaaaaa", "a1")]})
    by_id = {r["ssm"]["instance_id"]: r for r in records}
    assert by_id["mi-aaaaaaaaaaaaaaaaa"]["ecs"]["cluster"] == "green"
    assert by_id["mi-bbbbbbbbbbbbbbbbb"]["ecs"]["cluster"] == "blue"
    assert by_id["mi-bbbbbbbbbbbbbbbbb"]["ecs"]["container_instance_id"] == "b1"
    assert [r["region"] for r in records] == ["us-east-1", "us-east-1"]


def test_managed_instance_without_container_instance_has_no_ecs_side():
    (record,) = join_fleet("us-east-1", [managed("mi-aaaaaaaaaaaaaaaaa")], {"blue": []})
    assert record["ecs"] is None and record["ecs_others"] == []


def test_container_instances_of_unknown_managed_instances_are_left_out():
    records = join_fleet("us-east-1", [managed("mi-aaaaaaaaaaaaaaaaa")],
                         {"blue": [container("mi-ccccccccccccccccc", "c1"), {"containerInstanceArn": "arn:x/c/ec2", "status": "ACTIVE"}]})
    assert len(records) == 1 and records[0]["ecs"] is None


def test_duplicate_registrations_prefer_active_then_newest():
    older = WHEN - datetime.timedelta(days=3)
    mid = "mi-aaaaaaaaaaaaaaaaa"
    (record,) = join_fleet("us-east-1", [managed(mid)], {
        "old": [container(mid, "drain", status="DRAINING", registered=WHEN + datetime.timedelta(days=1))],
        "blue": [container(mid, "stale", registered=older), container(mid, "fresh")],
    })
    assert record["ecs"]["container_instance_id"] == "fresh"
    assert [a.rsplit("/", 1)[-1] for a in record["ecs_others"]] == ["stale", "drain"]


def test_records_are_json_serialisable_for_the_inventory_cache():
    records = join_fleet("us-east-1", [managed("mi-aaaaaaaaaaaaaaaaa")], {"blue": [container("mi-aaaaaaaaaaaaaaaaa", "a1")]},
                         instance_tags={"mi-aaaaaaaaaaaaaaaaa": {"site": "lyon"}})
    assert json.loads(json.dumps(records)) == records


def test_host_vars_carry_ssm_and_ecs_fields():
    (record,) = join_fleet("eu-west-1", [managed("mi-aaaaaaaaaaaaaaaaa", "edge-1", ip="192.0.2.7")],
                           {"blue": [container("mi-aaaaaaaaaaaaaaaaa", "a1", connected=False)]})
    hv = host_vars(record)
    assert hv["ansible_host"] == "192.0.2.7"
    assert hv["ssm_computer_name"] == "edge-1" and hv["ssm_ping_status"] == "Online" and hv["ssm_region"] == "eu-west-1"
    assert hv["ssm_last_ping_date_time"].startswith("2026-01-02T03:04:05")
    assert "ssm_tags" not in hv  # not read unless include_ssm_tags
    assert hv["ecs_cluster"] == "blue" and hv["ecs_status"] == "ACTIVE" and hv["ecs_agent_connected"] is False
    assert hv["ecs_agent_running_version"] == "1.106.0"
    assert (hv["ecs_running_tasks_count"], hv["ecs_pending_tasks_count"]) == (2, 1)
    assert (hv["ecs_registered_cpu"], hv["ecs_registered_memory"], hv["ecs_remaining_cpu"], hv["ecs_remaining_memory"]) == (2048, 3904, 1024, 1000)
    assert hv["ecs_attributes"] == {"ecs.os-type": "linux", "ecs.capability.external": None}
    assert hv["ecs_tags"] == {"site": "lyon"}


def test_host_vars_without_container_instance_have_no_ecs_vars_and_tags_when_read():
    (record,) = join_fleet("us-east-1", [managed("mi-aaaaaaaaaaaaaaaaa")], {}, instance_tags={"mi-aaaaaaaaaaaaaaaaa": {"site": "lyon"}})
    hv = host_vars(record)
    assert not [k for k in hv if k.startswith("ecs_")]
    assert hv["ssm_tags"] == {"site": "lyon"}


def test_ansible_host_source_is_configurable():
    (record,) = join_fleet("us-east-1", [managed("mi-aaaaaaaaaaaaaaaaa", "edge-1")], {})
    assert host_vars(record, "computer_name")["ansible_host"] == "edge-1"
    assert host_vars(record, "instance_id")["ansible_host"] == "mi-aaaaaaaaaaaaaaaaa"
    assert "ansible_host" not in host_vars(record, "none")
