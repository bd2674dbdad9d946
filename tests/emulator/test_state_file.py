"""--state-file: a restarted emulator keeps the account's ECS, SSM and IAM state (as the real control plane does);
without it every start is a clean account."""
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proc:
    def __init__(self, port, *args):
        self.url = "http://127.0.0.1:%d" % port
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.sandbox.emulator", "--host", "127.0.0.1",
                                      "--port", str(port)] + list(args),
                                     cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 90  # generous: CI machines can be heavily loaded
        while True:
            try:
                self.admin("GET", "/_emulator/health")
                return
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, self.proc.stderr.read().decode()
                time.sleep(0.1)

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    def client(self, service):
        return boto3.client(service, region_name=REGION, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def raw(self, target, body):
        req = urllib.request.Request(self.url + "/", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        stderr = self.proc.stderr.read().decode()
        assert rc == 0, stderr
        return stderr


def _build_account(emu):
    """One of everything the fleet playbooks rely on: a role, a cluster, an activation (live and deleted),
    a registered managed instance with its container instance, a draining one, a service task."""
    iam, ssm, ecs = emu.client("iam"), emu.client("ssm"), emu.client("ecs")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=json.dumps(trust))
    ecs.create_cluster(clusterName="c")
    live = ssm.create_activation(IamRole="ecsAnywhereRole", RegistrationLimit=2)
    gone = ssm.create_activation(IamRole="ecsAnywhereRole", RegistrationLimit=1)
    ssm.delete_activation(ActivationId=gone["ActivationId"])
    arns = []
    for _ in range(2):
        mi = emu.raw("AmazonSSM.RegisterManagedInstance", {"ActivationId": live["ActivationId"],
                                                           "ActivationCode": live["ActivationCode"],
                                                           "PublicKey": "k", "PublicKeyType": "Rsa"})["InstanceId"]
        ci = emu.raw("AmazonEC2ContainerServiceV20141113.RegisterContainerInstance", {
            "cluster": "c", "instanceIdentityDocument": json.dumps({"instanceId": mi}),
            "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                               {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048}],
            "versionInfo": {"agentVersion": "1.105.1", "agentHash": "h", "dockerVersion": "20.10"}})
        arns.append(ci["containerInstance"]["containerInstanceArn"])
    ecs.register_task_definition(family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "web", "image": "nginx", "cpu": 128, "memory": 64}])
    ecs.create_service(cluster="c", serviceName="web", taskDefinition="web", desiredCount=1, launchType="EXTERNAL")
    ecs.update_container_instances_state(cluster="c", containerInstances=[arns[1]], status="DRAINING")
    return live["ActivationId"]


def _view(emu):
    """Everything a restart must not change, as clients see it."""
    ssm, ecs, iam = emu.client("ssm"), emu.client("ecs"), emu.client("iam")
    arns = ecs.list_container_instances(cluster="c")["containerInstanceArns"]
    instances = ecs.describe_container_instances(cluster="c", containerInstances=arns)["containerInstances"]
    tasks = ecs.list_tasks(cluster="c")["taskArns"]
    return {
        "activations": emu.admin("GET", "/_emulator/activations")["activations"],
        "described": [a["ActivationId"] for a in ssm.describe_activations()["ActivationList"]],
        "managed": sorted(i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]),
        "instances": sorted((ci["containerInstanceArn"], ci["ec2InstanceId"], ci["status"]) for ci in instances),
        "tasks": sorted(tasks),
        "services": [s["serviceName"] for s in ecs.describe_services(cluster="c", services=["web"])["services"]],
        "role": iam.get_role(RoleName="ecsAnywhereRole")["Role"]["Arn"],
        "clusters": [c["clusterName"] for c in ecs.describe_clusters(clusters=["c"])["clusters"]],
        "task_definition": ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["networkMode"],
    }


def test_state_file_keeps_the_account_across_a_restart(tmp_path):
    port, state = _free_port(), tmp_path / "state.pickle"
    first = Proc(port, "--state-file", str(state))
    try:
        live = _build_account(first)
        before = _view(first)
    finally:
        first.stop()
    assert state.exists()
    second = Proc(port, "--state-file", str(state))
    try:
        after = _view(second)
        assert after == before
        # Sanity of the view: the build really happened, so the comparison compares something.
        assert len(before["activations"]) == 2 and [a["Deleted"] for a in before["activations"]] == [False, True]
        assert before["described"] == [live] and len(before["managed"]) == 2
        assert sorted(s for _, _, s in before["instances"]) == ["ACTIVE", "DRAINING"] and len(before["tasks"]) == 1
        # And the restored account keeps working: the activation is still usable up to its limit, deletable, and
        # ECS calls go on (a deregistration of the draining instance).
        ssm = second.client("ssm")
        ssm.delete_activation(ActivationId=live)
        assert ssm.describe_activations()["ActivationList"] == []
        draining = next(arn for arn, _, status in after["instances"] if status == "DRAINING")
        second.client("ecs").deregister_container_instance(cluster="c", containerInstance=draining, force=True)
    finally:
        second.stop()


def test_without_state_file_a_restart_is_a_clean_account(tmp_path):
    port = _free_port()
    first = Proc(port)
    try:
        first.admin("POST", "/_emulator/seed", {"cluster": "c", "count": 1})
    finally:
        first.stop()
    second = Proc(port)
    try:
        assert second.admin("GET", "/_emulator/activations")["activations"] == []
        assert second.client("ecs").list_clusters()["clusterArns"] == []
    finally:
        second.stop()
