# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tasks of a cluster or of one service, each with the host it runs on.

ECS names a task's host only by container instance ARN; operators know hosts by managed instance id (the
`fleet` inventory's ssm_instance_id). So: ListTasks and DescribeTasks in hundreds, then one
DescribeContainerInstances per 100 distinct hosts, never one call per task or per host.
"""

from . import _ecs
from ._timeparse import isoformat

SERVICE_GROUP_PREFIX = "service:"  # a service's tasks carry group "service:<name>" (ECS sets it)


def task_rows(client, cluster, service=None, desired_status="RUNNING"):
    """Shaped tasks (shape_task) of `cluster`, or of one `service` in it, sorted by service, host and task."""
    arns = _ecs.list_task_arns(client, cluster, service=service, desired_status=desired_status)
    if not arns:
        return []
    tasks = _ecs.describe_tasks(client, cluster, arns)
    instance_arns = sorted({t["containerInstanceArn"] for t in tasks if t.get("containerInstanceArn")})
    hosts = {}
    if instance_arns:
        instances, _failures = _ecs.describe_container_instances(client, cluster, instance_arns, include=())
        hosts = {i["containerInstanceArn"]: i.get("ec2InstanceId") for i in instances}
    rows = [shape_task(t, hosts.get(t.get("containerInstanceArn"))) for t in tasks]
    return sorted(rows, key=lambda r: (r["service_name"] or "", r["managed_instance_id"] or "", r["task_arn"]))


def shape_task(raw, managed_instance_id=None):
    """One DescribeTasks entry as the modules return it: what says what runs where, not the whole description."""
    group = raw.get("group") or ""
    definition = raw.get("taskDefinitionArn") or ""
    return {
        "task_arn": raw["taskArn"],
        "task_id": raw["taskArn"].rsplit("/", 1)[-1],
        "group": group or None,
        "service_name": group[len(SERVICE_GROUP_PREFIX):] if group.startswith(SERVICE_GROUP_PREFIX) else None,
        "task_definition_arn": definition or None,
        "task_definition": definition.rsplit("/", 1)[-1] or None,
        "last_status": raw.get("lastStatus"),
        "desired_status": raw.get("desiredStatus"),
        "health_status": raw.get("healthStatus"),
        "launch_type": raw.get("launchType"),
        "container_instance_arn": raw.get("containerInstanceArn"),
        "managed_instance_id": managed_instance_id,
        "cpu": raw.get("cpu"),
        "memory": raw.get("memory"),
        "started_at": isoformat(raw.get("startedAt")),
        "stopped_reason": raw.get("stoppedReason"),
        "containers": [_shape_container(c) for c in raw.get("containers") or []],
    }


def _shape_container(raw):
    return {
        "name": raw.get("name"),
        "image": raw.get("image"),
        "last_status": raw.get("lastStatus"),
        "health_status": raw.get("healthStatus"),
        "runtime_id": raw.get("runtimeId"),
        "exit_code": raw.get("exitCode"),
        "reason": raw.get("reason"),
        "host_ports": [b["hostPort"] for b in raw.get("networkBindings") or [] if "hostPort" in b],
    }


def tasks_by_host(rows):
    """{managed instance id: [rows]} for the rows placed on a host (a PENDING task may have none yet)."""
    hosts = {}
    for row in rows:
        if row["managed_instance_id"]:
            hosts.setdefault(row["managed_instance_id"], []).append(row)
    return hosts
