"""The /_emulator admin API: stats, faults, reset, activations, seed, config."""
import json
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config

from .conftest import NO_RETRY


def test_health(emulator):
    assert emulator.health() == {"status": "ok"}


def test_stats_count_every_aws_call_by_service_and_operation(emulator, ssm, ecs, iam, raw):
    emulator.reset_stats()
    ssm.describe_instance_information()
    ssm.describe_instance_information()
    ecs.list_clusters()
    iam.list_roles()
    raw.ssm("DescribeActivations", {})
    emulator.health()  # admin calls are not AWS calls
    stats = emulator.stats()
    assert stats["calls"] == {"ecs:ListClusters": 1, "iam:ListRoles": 1, "ssm:DescribeActivations": 1,
                              "ssm:DescribeInstanceInformation": 2}
    assert stats["total"] == 5
    assert emulator.calls("ssm:DescribeInstanceInformation") == 2
    emulator.reset_stats()
    assert emulator.stats() == {"calls": {}, "total": 0}


def _client(emulator, service, config):
    return boto3.client(service, region_name="us-east-1", endpoint_url=emulator.url, config=config,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.mark.parametrize("service, call, code", [("ssm", "describe_activations", "ThrottlingException"),
                                                 ("ecs", "list_clusters", "ThrottlingException"),
                                                 ("iam", "list_roles", "Throttling")])
def test_full_throttle_raises_real_throttling_error(emulator, service, call, code):
    emulator.faults(throttle_rate=1.0)
    client = _client(emulator, service, NO_RETRY)
    with pytest.raises(client.exceptions.ClientError) as exc:
        getattr(client, call)()
    assert exc.value.response["Error"]["Code"] == code
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert emulator.health() == {"status": "ok"}  # admin calls are never throttled
    emulator.faults()
    getattr(client, call)()


def test_partial_throttle_is_retried_by_botocore(emulator):
    emulator.faults(throttle_rate=0.25, seed=3)
    client = _client(emulator, "ecs", Config(retries={"max_attempts": 10, "mode": "standard"}))
    emulator.reset_stats()
    for _ in range(4):
        client.list_clusters()
    # Every call succeeded, and the throttled attempt was retried (each attempt is counted).
    assert emulator.calls("ecs:ListClusters") == 5


def test_faults_are_reproducible_with_seed(emulator, raw):
    def pattern():
        emulator.faults(throttle_rate=0.5, seed=42)
        return [raw.ssm("DescribeActivations", {})[0] for _ in range(12)]
    first = pattern()
    assert set(first) == {200, 400}
    assert pattern() == first


def test_latency(emulator, raw):
    emulator.faults(latency_ms=150)
    start = time.monotonic()
    raw.ssm("DescribeActivations", {})
    assert time.monotonic() - start >= 0.15
    emulator.faults()


def test_bad_fault_settings_are_400(emulator):
    for body in ({"throttle_rate": 2}, {"bogus": 1}):
        with pytest.raises(urllib.error.HTTPError) as exc:
            emulator.faults(**body)
        assert exc.value.code == 400


def test_reset_wipes_everything(emulator, ssm, ecs, activation, register):
    register(activation)
    ecs.create_cluster(clusterName="gone")
    emulator.faults(latency_ms=1)
    emulator.reset()
    assert emulator.stats()["total"] == 0
    assert emulator.activations() == {"activations": []}
    assert emulator._call("GET", "/_emulator/faults") == {"throttle_rate": 0.0, "latency_ms": 0.0, "seed": None}
    assert ssm.describe_activations()["ActivationList"] == []
    assert ssm.describe_instance_information()["InstanceInformationList"] == []
    assert ecs.list_clusters()["clusterArns"] == []


def test_config_endpoint_and_reset_restores_startup_values(emulator, set_config):
    startup = emulator._call("GET", "/_emulator/config")
    assert set(startup) >= {"heartbeat_timeout", "drain_delay", "agent_connected_window"}
    changed = set_config(drain_delay=1, heartbeat_timeout=2.5)
    assert (changed["drain_delay"], changed["heartbeat_timeout"]) == (1.0, 2.5)
    for bad in ({"drain_delay": "soon"}, {"nope": 1}):
        with pytest.raises(urllib.error.HTTPError) as exc:
            set_config(**bad)
        assert exc.value.code == 400
    emulator.reset()
    assert emulator._call("GET", "/_emulator/config") == startup


def test_unknown_admin_path_is_404(emulator):
    with pytest.raises(urllib.error.HTTPError) as exc:
        emulator._call("GET", "/_emulator/nothing")
    assert exc.value.code == 404


def test_seed_creates_connected_fleet(emulator, ssm, ecs):
    result = emulator.seed("fleet", 30)
    assert result["count"] == 30 and len(result["managed_instance_ids"]) == 30
    assert ecs.describe_clusters(clusters=["fleet"])["clusters"][0]["status"] == "ACTIVE"
    info = [i for p in ssm.get_paginator("describe_instance_information").paginate()
            for i in p["InstanceInformationList"]]
    assert len({i["ComputerName"] for i in info}) == 30
    assert len({i["IPAddress"] for i in info}) == 30
    assert {i["PingStatus"] for i in info} == {"Online"}
    assert info[0]["ComputerName"] == "seed-fleet-0001"
    assert len({i["AgentVersion"] for i in info}) > 1
    described = ecs.describe_container_instances(cluster="fleet", containerInstances=result["container_instance_arns"])
    instances = described["containerInstances"]
    assert {i["status"] for i in instances} == {"ACTIVE"}
    assert all(i["agentConnected"] for i in instances)
    assert {i["ec2InstanceId"] for i in instances} == set(result["managed_instance_ids"])
    assert len({i["versionInfo"]["agentVersion"] for i in instances}) > 1
    linux = ecs.list_container_instances(cluster="fleet", filter="attribute:ecs.os-type == linux")
    assert len(linux["containerInstanceArns"]) == 30
    more = emulator.seed("fleet", 2)
    assert len(set(more["managed_instance_ids"]) | set(result["managed_instance_ids"])) == 32
    names = {i["ComputerName"] for p in ssm.get_paginator("describe_instance_information").paginate()
             for i in p["InstanceInformationList"]}
    assert "seed-fleet-0032" in names


def test_seed_other_region(emulator):
    emulator.seed("west", 3, region="us-west-2")
    west = emulator.client("ecs", region="us-west-2")
    assert len(west.list_container_instances(cluster="west")["containerInstanceArns"]) == 3
    assert emulator.client("ssm").describe_instance_information()["InstanceInformationList"] == []


def test_seed_is_fast(emulator, ecs):
    # The budget benchmarks rely on (5,000 in well under 20 s); typically about a second.
    start = time.monotonic()
    emulator.seed("scale", 5000)
    elapsed = time.monotonic() - start
    assert elapsed < 20, elapsed
    first = ecs.list_container_instances(cluster="scale", filter="attribute:ecs.os-type == linux")
    assert len(first["containerInstanceArns"]) == 100 and first["nextToken"]


def test_seed_rejects_bad_input(emulator):
    for body in ({"count": 3}, {"cluster": "c", "count": -1}):
        with pytest.raises(urllib.error.HTTPError) as exc:
            emulator._call("POST", "/_emulator/seed", body)
        assert exc.value.code == 400


def test_admin_reponses_are_json(emulator):
    with urllib.request.urlopen(emulator.url + "/_emulator/stats") as resp:
        assert resp.headers["Content-Type"] == "application/json"
        json.loads(resp.read())
