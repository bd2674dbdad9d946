"""The tasks of a cluster with their hosts: ListTasks and DescribeTasks in hundreds, one DescribeContainerInstances per
100 distinct hosts (verified against botocore's Stubber, which also checks every request and response against the
API's model)."""
import datetime

from botocore.stub import Stubber

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ecs_tasks

TASK = "arn:aws:ecs:us-east-1:123456789012:task/c/{:032x}"
HOST = "arn:aws:ecs:us-east-1:123456789012:container-instance/c/{:032x}"
DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/{}:{}"


def task(i, host=None, service="web"):
    raw = {"taskArn": TASK.format(i), "taskDefinitionArn": DEFINITION.format(service or "job", 3), "lastStatus": "RUNNING",
           "desiredStatus": "RUNNING", "launchType": "EXTERNAL", "group": "service:%s" % service if service else "family:job",
           "cpu": "256", "memory": "128", "startedAt": datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.timezone.utc),
           "containers": [{"name": "web", "image": "nginx:1.27", "lastStatus": "RUNNING", "runtimeId": "c0ffee%d" % i,
                           "healthStatus": "UNKNOWN", "networkBindings": [{"hostPort": 8080 + i % 2, "containerPort": 80}]}]}
    if host is not None:
        raw["containerInstanceArn"] = HOST.format(host)
    return raw


def mi(host):
    return "mi-%017x" % host


def test_250_tasks_on_120_hosts_cost_3_lists_3_describes_and_2_host_lookups(ecs_client):
    tasks = [task(i, host=i % 120) for i in range(250)]
    arns = [t["taskArn"] for t in tasks]
    hosts = sorted({t["containerInstanceArn"] for t in tasks})
    with Stubber(ecs_client) as stub:
        for page, token in ((0, None), (1, "t1"), (2, "t2")):
            expected = dict({"cluster": "c", "desiredStatus": "RUNNING", "maxResults": 100}, **({"nextToken": token} if token else {}))
            response = dict({"taskArns": arns[page * 100:page * 100 + 100]}, **({"nextToken": "t%d" % (page + 1)} if page < 2 else {}))
            stub.add_response("list_tasks", response, expected)
        for start in (0, 100, 200):
            stub.add_response("describe_tasks", {"tasks": tasks[start:start + 100]}, {"cluster": "c", "tasks": arns[start:start + 100]})
        for start in (0, 100):
            batch = hosts[start:start + 100]
            stub.add_response("describe_container_instances", {"containerInstances": [
                {"containerInstanceArn": arn, "ec2InstanceId": mi(int(arn.rsplit("/", 1)[-1], 16))} for arn in batch]},
                {"cluster": "c", "containerInstances": batch})
        rows = _ecs_tasks.task_rows(ecs_client, "c")
        stub.assert_no_pending_responses()
    assert len(rows) == 250
    assert [r["managed_instance_id"] for r in rows] == sorted(r["managed_instance_id"] for r in rows)
    by_host = _ecs_tasks.tasks_by_host(rows)
    assert len(by_host) == 120 and sum(len(v) for v in by_host.values()) == 250
    assert {r["task_arn"] for r in by_host[mi(7)]} == {TASK.format(7), TASK.format(127), TASK.format(247)}


def test_a_row_says_what_runs_where():
    row = _ecs_tasks.shape_task(task(5, host=2), mi(2))
    assert row == {
        "task_arn": TASK.format(5), "task_id": "%032x" % 5, "group": "service:web", "service_name": "web",
        "task_definition_arn": DEFINITION.format("web", 3), "task_definition": "web:3", "last_status": "RUNNING",
        "desired_status": "RUNNING", "health_status": None, "launch_type": "EXTERNAL", "container_instance_arn": HOST.format(2),
        "managed_instance_id": mi(2), "cpu": "256", "memory": "128", "started_at": "2026-12-01T08:00:00+00:00",
        "stopped_reason": None,
        "containers": [{"name": "web", "image": "nginx:1.27", "last_status": "RUNNING", "health_status": "UNKNOWN",
                        "runtime_id": "c0ffee5", "exit_code": None, "reason": None, "host_ports": [8081]}]}


def test_a_standalone_task_has_no_service_and_a_pending_one_no_host(ecs_client):
    standalone, pending = task(1, host=1, service=None), task(2)
    with Stubber(ecs_client) as stub:
        stub.add_response("list_tasks", {"taskArns": [standalone["taskArn"], pending["taskArn"]]},
                          {"cluster": "c", "desiredStatus": "STOPPED", "maxResults": 100})
        stub.add_response("describe_tasks", {"tasks": [standalone, pending]},
                          {"cluster": "c", "tasks": [standalone["taskArn"], pending["taskArn"]]})
        stub.add_response("describe_container_instances", {"containerInstances": [
            {"containerInstanceArn": HOST.format(1), "ec2InstanceId": mi(1)}]}, {"cluster": "c", "containerInstances": [HOST.format(1)]})
        rows = _ecs_tasks.task_rows(ecs_client, "c", desired_status="STOPPED")
        stub.assert_no_pending_responses()
    assert [(r["service_name"], r["group"], r["managed_instance_id"]) for r in rows] == [(None, "family:job", mi(1)), ("web", "service:web", None)]
    assert _ecs_tasks.tasks_by_host(rows) == {mi(1): [rows[0]]}


def test_no_task_costs_one_call(ecs_client):
    with Stubber(ecs_client) as stub:
        stub.add_response("list_tasks", {"taskArns": []}, {"cluster": "c", "desiredStatus": "RUNNING", "maxResults": 100})
        assert _ecs_tasks.task_rows(ecs_client, "c") == []
        stub.assert_no_pending_responses()
