"""Bulk fleet for scale tests and benchmarks: N registered managed instances, each with an ACTIVE, connected
external container instance, created straight in the layer's state (no per-instance API round trips)."""
import secrets
import time
import uuid

from .ssm import Activation
from .ecs_model import cluster_arn

# Spread of versions so fleet reports and agent-update plays have something to find.
ECS_AGENT_VERSIONS = [("1.104.0", "b6f4d3c"), ("1.105.1", "9c1e0a2"), ("1.106.0", "4e7f2b1")]
SSM_AGENT_VERSIONS = ["3.3.1802.0", "3.3.1957.0"]
ARCHITECTURES = ["x86_64", "x86_64", "arm64"]
SEED_ROLE = "ecsAnywhereRole"


def seed(emu, cluster_name, count, region_name):
    now = time.time()
    ecs_region = emu.ecs.region(region_name)
    cluster = emu.ecs.cluster(ecs_region, cluster_name, create=True)
    ssm_region = emu.ssm.region(region_name)
    activation = Activation(
        activation_id=str(uuid.uuid4()), code=secrets.token_urlsafe(15)[:20], iam_role=SEED_ROLE,
        registration_limit=max(count, 1),
        expiration=now + 24 * 3600, created=now, region=region_name, description="seed for " + cluster_name,
        default_instance_name="seed-" + cluster_name, tags=[{"Key": "seeded-cluster", "Value": cluster_name}])
    ssm_region.activations[activation.activation_id] = activation
    emu.ssm.record(activation)
    instance_ids, instance_arns = [], []
    for n in range(cluster.seeded + 1, cluster.seeded + count + 1):
        computer_name = "seed-%s-%04d" % (cluster_name, n)
        ecs_version, ecs_hash = ECS_AGENT_VERSIONS[n % len(ECS_AGENT_VERSIONS)]
        arch = ARCHITECTURES[n % len(ARCHITECTURES)]
        managed = emu.ssm.add_instance(
            ssm_region, activation, now, always_online=True, agent_version=SSM_AGENT_VERSIONS[n % 2],
            agent_name="amazon-ssm-agent", platform_type="Linux", platform_name="Debian GNU/Linux",
            platform_version="12", ip_address="10.%d.%d.%d" % ((n >> 16) & 255, (n >> 8) & 255, n & 255),
            computer_name=computer_name, agent_status="Active")
        container = emu.ecs.instances.create(
            region_name, cluster, managed.instance_id, None,
            {"agentVersion": ecs_version, "agentHash": ecs_hash, "dockerVersion": "DockerVersion: 25.0.5"},
            {"ecs.os-type": "linux", "ecs.os-family": "LINUX", "ecs.cpu-architecture": arch,
             "ecs.capability.external": None, "hostname": computer_name},
            {}, now=now, always_connected=True)
        instance_ids.append(managed.instance_id)
        instance_arns.append(container.arn)
    cluster.seeded += count
    return {"cluster": cluster_name, "cluster_arn": cluster_arn(region_name, cluster_name), "region": region_name,
            "activation_id": activation.activation_id, "count": count,
            "managed_instance_ids": instance_ids, "container_instance_arns": instance_arns}
