"""Helpers for the emulator's own suite: boto3 clients, raw agent calls, runtime config."""
import json
import urllib.error
import urllib.request

import pytest
from botocore.config import Config

REGION = "us-east-1"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


class Raw:
    """What a stand-in agent does: plain JSON 1.1 over urllib, no SigV4, no boto3."""

    def __init__(self, url):
        self.url = url

    def call(self, target, body, region=None, headers=None):
        all_headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
        if region:
            all_headers["X-Emulator-Region"] = region
        all_headers.update(headers or {})
        req = urllib.request.Request(self.url + "/", data=json.dumps(body).encode(), headers=all_headers,
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def ssm(self, operation, body, **kw):
        return self.call("AmazonSSM." + operation, body, **kw)

    def ecs(self, operation, body, **kw):
        return self.call("AmazonEC2ContainerServiceV20141113." + operation, body, **kw)


@pytest.fixture
def raw(emulator):
    return Raw(emulator.url)


@pytest.fixture
def ssm(emulator):
    return emulator.client("ssm")


@pytest.fixture
def ecs(emulator):
    return emulator.client("ecs")


@pytest.fixture
def iam(emulator):
    return emulator.client("iam")


@pytest.fixture
def set_config(emulator):
    """POST /_emulator/config; the emulator fixture's reset restores the startup values afterwards."""
    def apply(**values):
        return emulator._call("POST", "/_emulator/config", values)
    return apply


@pytest.fixture
def role(iam):
    iam.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    return "ecsAnywhereRole"


@pytest.fixture
def activation(ssm, role):
    """An activation for 3 hosts, tagged, with its secret code."""
    return ssm.create_activation(IamRole=role, RegistrationLimit=3, DefaultInstanceName="edge",
                                 Tags=[{"Key": "site", "Value": "lab"}])


@pytest.fixture
def register(raw):
    """Register a managed instance like the SSM agent does; returns its mi- id."""
    def do(act, region=None, **heartbeat):
        status, body = raw.ssm("RegisterManagedInstance", {
            "ActivationId": act["ActivationId"], "ActivationCode": act["ActivationCode"],
            "PublicKey": "AAAA", "PublicKeyType": "Rsa", "Fingerprint": "fp"}, region=region)
        assert status == 200, body
        instance_id = body["InstanceId"]
        if heartbeat:
            status, body = raw.ssm("UpdateInstanceInformation", dict(InstanceId=instance_id, **heartbeat),
                                   region=region)
            assert status == 200, body
        return instance_id
    return do


@pytest.fixture
def cluster(ecs):
    ecs.create_cluster(clusterName="edge")
    return "edge"


@pytest.fixture
def container_instance(ecs, cluster):
    """Register an external container instance the way the ECS agent does (via boto3 for brevity)."""
    counter = iter(range(1, 10000))

    def do(mi=None, cpu=1024, memory=2048, attributes=(), tags=(), version="1.105.1", cluster_name=cluster):
        mi = mi or "mi-%017x" % next(counter)
        resp = ecs.register_container_instance(
            cluster=cluster_name, instanceIdentityDocument=json.dumps({"instanceId": mi}),
            totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": cpu},
                            {"name": "MEMORY", "type": "INTEGER", "integerValue": memory}],
            versionInfo={"agentVersion": version, "agentHash": "abc1234", "dockerVersion": "DockerVersion: 25.0.5"},
            attributes=[{"name": k, "value": v} for k, v in attributes],
            tags=[{"key": k, "value": v} for k, v in tags])
        return resp["containerInstance"]
    return do


@pytest.fixture
def task_definition(ecs):
    def do(family="web", cpu=256, memory=512):
        return ecs.register_task_definition(
            family=family, requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
            containerDefinitions=[{"name": "app", "image": "nginx:1.27", "cpu": cpu, "memory": memory,
                                   "essential": True}])["taskDefinition"]
    return do
