#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_task_info
version_added: 0.2.0
short_description: List the tasks of an ECS cluster or service with the host each runs on
description:
  - Lists the tasks of a cluster, or of one service in it, such as the EXTERNAL tasks that run on ECS Anywhere
    servers, each with the SSM managed instance id (C(mi-...)) of its host, its service and task definition
    revision, its status and its containers.
  - ECS names a task's host only by container instance; this module resolves the managed instance id the C(fleet)
    inventory knows hosts by. The cost is ListTasks in pages of 100, DescribeTasks in batches of 100 and one
    DescribeContainerInstances per 100 distinct hosts, never one call per task or per host.
  - community.aws's C(ecs_task) runs and stops tasks and reports no host; this module only reads.
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  cluster:
    description:
      - Name or ARN of the cluster.
    type: str
    required: true
  service:
    description:
      - Only the tasks of this service (its name).
    type: str
  desired_status:
    description:
      - V(RUNNING) lists the tasks ECS keeps running, those still V(PENDING) included; V(STOPPED) those stopped
        recently (ECS keeps them for about an hour).
    type: str
    choices: [RUNNING, STOPPED]
    default: RUNNING
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.NO_DIFF
"""

EXAMPLES = r"""
- name: What runs where in the cluster
  hybridfleet.ecs_anywhere.ecs_task_info:
    cluster: hybrid-cluster
  register: running

- name: The tasks of this host (a host of the fleet inventory)
  ansible.builtin.debug:
    msg: "{{ running.by_managed_instance_id[ssm_instance_id] | default([]) | map(attribute='task_definition') }}"

- name: Why did the tasks of on-prem-app stop?
  hybridfleet.ecs_anywhere.ecs_task_info:
    cluster: hybrid-cluster
    service: on-prem-app
    desired_status: STOPPED
  register: stopped
"""

RETURN = r"""
tasks:
  description: The tasks, sorted by service, host and task.
  returned: always
  type: list
  elements: dict
  contains:
    task_arn:
      description: Task ARN.
      type: str
    task_id:
      description: The id part of the ARN.
      type: str
    group:
      description: The task group; C(service:<name>) for a service's tasks.
      type: str
    service_name:
      description: The service that started the task, V(null) for a task started on its own.
      type: str
    task_definition_arn:
      description: The task definition revision it runs.
      type: str
    task_definition:
      description: The same as C(family:revision).
      type: str
      sample: on-prem-app:3
    last_status:
      description: V(PROVISIONING), V(PENDING), V(RUNNING), V(STOPPED)...
      type: str
    desired_status:
      description: V(RUNNING) or V(STOPPED).
      type: str
    health_status:
      description: V(HEALTHY), V(UNHEALTHY) or V(UNKNOWN) (no health check).
      type: str
    launch_type:
      description: V(EXTERNAL) for tasks on ECS Anywhere servers.
      type: str
    container_instance_arn:
      description: The container instance it was placed on.
      type: str
    managed_instance_id:
      description: The host's SSM managed instance id, as the C(fleet) inventory's C(ssm_instance_id).
      type: str
      sample: mi-0123456789abcdef0
    cpu:
      description: CPU units reserved, as ECS spells it (a string).
      type: str
    memory:
      description: Memory (MiB) reserved, as ECS spells it (a string).
      type: str
    started_at:
      description: When it started running (ISO 8601).
      type: str
    stopped_reason:
      description: Why ECS stopped it.
      type: str
    containers:
      description: Its containers (name, image, last_status, health_status, runtime_id, exit_code, reason, host_ports).
      type: list
      elements: dict
by_managed_instance_id:
  description: The rows of RV(tasks) that have a host, grouped by the host's managed instance id.
  returned: always
  type: dict
  sample: {"mi-0123456789abcdef0": [{"service_name": "on-prem-app", "task_definition": "on-prem-app:3", "last_status": "RUNNING"}]}
"""

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ecs_tasks
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_arn_location
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetAWSError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import error_code


class TaskInfo:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.client = module.client("ecs")

    def run(self):
        cluster = check_cluster(self.p["cluster"])
        check_arn_location([cluster], self.module.region, self.module.caller_account, "cluster")
        try:
            rows = _ecs_tasks.task_rows(self.client, cluster, service=self.p["service"], desired_status=self.p["desired_status"])
        except FleetAWSError as e:
            if error_code(e.exception) == "ClusterNotFoundException":
                raise FleetError(f"cluster {cluster} does not exist in {self.module.region}: check cluster and region.") from e
            raise
        return {"changed": False, "tasks": rows, "by_managed_instance_id": _ecs_tasks.tasks_by_host(rows)}


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        service=dict(type="str"),
        desired_status=dict(type="str", choices=["RUNNING", "STOPPED"], default="RUNNING"),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, TaskInfo)


if __name__ == "__main__":
    main()
