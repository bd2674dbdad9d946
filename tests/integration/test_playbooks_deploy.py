"""The deploy playbook on a seeded fleet (no machines: ECS places the tasks, the emulator runs them): the guide's
on-prem-app, its table of which host runs what, a re-run that changes nothing, a new image rolled out, check mode,
refusals, and removal."""
import json
import re

import yaml

from test_playbooks_controller import playbook
from test_playbooks_harness import POLICY, emulator_config, operator

CLUSTER = "edge"
APP = {"name": "app", "image": "nginx:1.27", "memory": 64, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}


def settings(**extra):
    return dict({"ecs_anywhere_cluster": CLUSTER, "ecs_anywhere_deploy_name": "on-prem-app",
                 "ecs_anywhere_deploy_containers": [APP], "ecs_anywhere_deploy_desired_count": 3,
                 "ecs_anywhere_deploy_wait_timeout": 60}, **extra)


def recap(out):
    """(changed, failed) summed over the play recap's hosts."""
    rows = re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", out, re.M)
    assert rows, out[-3000:]
    return sum(int(c) for c, _f in rows), sum(int(f) for _c, f in rows)


def test_deploy_update_and_remove(emulator, tmp_path):
    fleet = emulator.seed(CLUSTER, 3)
    names = {mi: "plant-7-node-%d" % n for n, mi in enumerate(fleet["managed_instance_ids"])}
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"ecs_anywhere": {"hosts": {
        name: {"ssm_instance_id": mi, "ansible_host": "127.0.0.1", "ansible_port": 9} for mi, name in names.items()}}}}}))
    ecs = emulator.client("ecs")

    rc, out = playbook("deploy", inventory, emulator, "--check", extra=settings())
    assert rc == 0, out[-4000:]
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == []

    rc, out = playbook("deploy", inventory, emulator, extra=settings())
    assert rc == 0, out[-4000:]
    assert "service on-prem-app in edge: 3 of 3 tasks running, task definition on-prem-app:1" in out
    rows = re.findall(r"(plant-7-node-\d)\s+(mi-\w+)\s+(\w+)\s+RUNNING", out)
    assert sorted((host, mi) for host, mi, _task in rows) == sorted((name, mi) for mi, name in names.items())
    described = ecs.describe_services(cluster=CLUSTER, services=["on-prem-app"], include=["TAGS"])["services"][0]
    assert described["launchType"] == "EXTERNAL" and described["runningCount"] == 3
    assert {"key": "ManagedBy", "value": "hybridfleet.ecs_anywhere.deploy"} in described["tags"]

    rc, out = playbook("deploy", inventory, emulator, extra=settings())
    assert rc == 0 and recap(out) == (0, 0), out[-4000:]

    rc, out = playbook("deploy", inventory, emulator, extra=settings(ecs_anywhere_deploy_containers=[dict(APP, image="nginx:1.28")]))
    assert rc == 0, out[-4000:]
    assert "3 of 3 tasks running, task definition on-prem-app:2" in out
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=ecs.list_tasks(cluster=CLUSTER, serviceName="on-prem-app")["taskArns"])["tasks"]
    assert len(tasks) == 3 and all(t["taskDefinitionArn"].endswith("on-prem-app:2") for t in tasks)

    rc, out = playbook("deploy", inventory, emulator, extra=settings(ecs_anywhere_deploy_state="absent"))
    assert rc == 0, out[-4000:]
    assert ecs.describe_services(cluster=CLUSTER, services=["on-prem-app"])["services"][0]["status"] == "INACTIVE"
    assert ecs.list_task_definitions(familyPrefix="on-prem-app", status="ACTIVE")["taskDefinitionArns"] == []
    assert ecs.list_tasks(cluster=CLUSTER)["taskArns"] == []


def test_deploy_refuses_bad_inputs_before_any_call(emulator, tmp_path):
    emulator.seed(CLUSTER, 1)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"ecs_anywhere": {"hosts": {"node": {"ansible_port": 9}}}}}}))
    rc, out = playbook("deploy", inventory, emulator, extra=settings(ecs_anywhere_deploy_containers=[]))
    assert rc != 0 and "Invalid deploy settings" in out and "ecs_anywhere_deploy_containers a list" in out
    rc, out = playbook("deploy", inventory, emulator, extra=settings(ecs_anywhere_deploy_name="bad name"))
    assert rc != 0 and "got 'bad name'" in out
    assert emulator.client("ecs").list_task_definitions()["taskDefinitionArns"] == []


def test_deploy_with_the_least_privilege_policy(emulator, tmp_path):
    """docs/iam-policy.json covers deploy and its removal; without its deploy statements ECS says what is missing."""
    policy = json.loads(POLICY.read_text())
    emulator.seed(CLUSTER, 2)
    emulator_config(emulator, enforce_iam=True)
    allowed = operator(emulator, "deployer", policy)
    without = operator(emulator, "fleet-only", dict(policy, Statement=[s for s in policy["Statement"] if s["Sid"] != "DeployServices"]))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"ecs_anywhere": {"hosts": {"node": {"ansible_port": 9}}}}}}))

    rc, out = playbook("deploy", inventory, emulator, extra=settings(ecs_anywhere_deploy_desired_count=2), keys=without)
    assert rc != 0 and "not authorized to perform: ecs:DescribeServices" in out, out[-3000:]
    rc, out = playbook("deploy", inventory, emulator, extra=settings(ecs_anywhere_deploy_desired_count=2), keys=allowed)
    assert rc == 0 and "2 of 2 tasks running" in out, out[-4000:]
    rc, out = playbook("deploy", inventory, emulator, extra=settings(ecs_anywhere_deploy_state="absent"), keys=allowed)
    assert rc == 0, out[-4000:]
