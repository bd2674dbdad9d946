#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_task_definition
version_added: 0.2.0
short_description: Register or deregister ECS task definitions for EXTERNAL (ECS Anywhere) tasks
description:
  - Registers a revision of a task definition family when the definition differs from the family's latest V(ACTIVE)
    revision, and only then; deregisters revisions with O(state=absent).
  - Exists beside M(community.aws.ecs_taskdefinition) because that module accepts only V(EC2) and V(FARGATE) launch types;
    this one defaults to V(EXTERNAL), the launch type of ECS Anywhere, and refuses the C(awsvpc) network mode there.
  - Both sides are compared as ECS returns them (its defaults such as C(essential=true), C(cpu=0), C(protocol=tcp) and empty
    lists filled in, lists of objects in any order), so re-running with the same definition changes nothing.
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  family:
    description:
      - Task definition family (up to 255 letters, digits, hyphens and underscores).
    type: str
    required: true
  state:
    description:
      - V(present) registers a new revision when the definition differs from the latest V(ACTIVE) one.
      - V(absent) deregisters the O(revision) given, or every V(ACTIVE) revision of the family. Services still using
        a revision keep running it; ECS keeps deregistered revisions as V(INACTIVE).
    type: str
    choices: [present, absent]
    default: present
  revision:
    description:
      - With O(state=absent), the one revision to deregister.
    type: int
  container_definitions:
    description:
      - The containers, each a dict with the ECS API's own field names as RegisterTaskDefinition takes them (C(name),
        C(image), C(memory), C(portMappings), C(environment), C(secrets), C(logConfiguration), C(healthCheck), C(mountPoints)...).
      - Keep secret values out of C(environment); give C(secrets) with the ARN of an SSM parameter or Secrets Manager secret
        in C(valueFrom), which the ECS agent reads on the host (it needs O(execution_role_arn)).
      - Required with O(state=present).
    type: list
    elements: dict
  network_mode:
    description:
      - Docker networking of the task's containers. V(awsvpc) is refused for V(EXTERNAL).
    type: str
    choices: [bridge, host, none, awsvpc]
    default: bridge
  requires_compatibilities:
    description:
      - Launch types the definition is validated for.
    type: list
    elements: str
    choices: [EXTERNAL, EC2]
    default: [EXTERNAL]
  task_role_arn:
    description:
      - IAM role the containers' AWS calls use.
    type: str
  execution_role_arn:
    description:
      - IAM role the ECS agent uses to pull private images, read O(container_definitions) C(secrets) and write logs.
    type: str
  cpu:
    description:
      - Task-level CPU units (V(1024) is one core), as ECS takes it (a string such as V(256) or V(1 vCPU)).
    type: str
  memory:
    description:
      - Task-level memory (MiB, or with units such as V(1 GB)).
    type: str
  volumes:
    description:
      - Volumes as RegisterTaskDefinition takes them (C(name), C(host.sourcePath) for a bind mount, C(dockerVolumeConfiguration)).
    type: list
    elements: dict
  placement_constraints:
    description:
      - Task placement constraints as RegisterTaskDefinition takes them, each with C(type) V(memberOf) and an C(expression) in the
        cluster query language, such as C(attribute:site == plant-7).
    type: list
    elements: dict
  pid_mode:
    description:
      - Process namespace of the containers.
    type: str
    choices: [host, task]
  ipc_mode:
    description:
      - IPC namespace of the containers.
    type: str
    choices: [host, task, none]
  runtime_platform:
    description:
      - C(cpuArchitecture) (V(X86_64), V(ARM64)) and C(operatingSystemFamily) the task needs.
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.tags
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.STATE
notes:
  - O(tags) apply to the latest revision; changing only tags tags that revision and registers nothing.
"""

EXAMPLES = r"""
- name: The guide's on-prem app, on port 8080 of each host
  hybridfleet.ecs_anywhere.ecs_task_definition:
    family: on-prem-app
    execution_role_arn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
    container_definitions:
      - name: app
        image: public.ecr.aws/nginx/nginx:1.27
        memory: 256
        portMappings:
          - containerPort: 80
            hostPort: 8080
        secrets:
          - name: API_TOKEN
            valueFrom: arn:aws:ssm:eu-west-1:123456789012:parameter/on-prem-app/token
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /ecs/on-prem-app
            awslogs-region: eu-west-1
            awslogs-stream-prefix: app
    tags:
      team: platform

- name: Deregister every revision once the service is gone
  hybridfleet.ecs_anywhere.ecs_task_definition:
    family: on-prem-app
    state: absent
"""

RETURN = r"""
task_definition:
  description:
    - The latest V(ACTIVE) revision after the run, as ECS returns it (camelCase, so it can be fed back to the API); predicted in
      check mode (no ARN yet for a new revision). V(null) after O(state=absent).
  returned: always
  type: dict
  sample:
    family: on-prem-app
    revision: 3
    taskDefinitionArn: arn:aws:ecs:eu-west-1:123456789012:task-definition/on-prem-app:3
    status: ACTIVE
    networkMode: bridge
    requiresCompatibilities: [EXTERNAL]
changed_fields:
  description: The defining fields that differed from the latest V(ACTIVE) revision (why a revision was registered).
  returned: always
  type: list
  elements: str
tags:
  description: Tags of the latest revision.
  returned: always
  type: dict
deregistered:
  description: ARNs of the revisions deregistered (would be, in check mode).
  returned: always
  type: list
  elements: str
"""

import re

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ecs
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _task_definition
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ecs_tags import apply_ecs_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import dict_to_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import check_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import normalize_tags

FAMILY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def tags_dict(tags):
    return {t["key"]: t.get("value", "") for t in tags or []}


class TaskDefinitionManager:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.family = self.p["family"]
        if not FAMILY_PATTERN.fullmatch(self.family):
            raise FleetError(f"family must be 1-255 letters, digits, hyphens and underscores, got '{self.family}'. Nothing was changed.")
        self.tags = None if self.p["tags"] is None else normalize_tags(self.p["tags"])
        self.client = module.client("ecs")
        self.diff = DifferenceTracker()

    def run(self):
        if self.p["state"] == "absent":
            return self.absent()
        return self.present()

    def present(self):
        wanted = _task_definition.request(self.p)
        _task_definition.check_request(wanted)
        current, current_tags = _ecs.describe_task_definition(self.client, self.family)
        before = _task_definition.comparable(current) if current else None
        after = _task_definition.comparable(wanted)
        changed_fields = _task_definition.differences(before, after) if before else []
        if before is None or changed_fields:
            self.diff.add("definition", before, after)
            definition, tags = self.register(wanted, current, tags_dict(current_tags))
        else:
            tags = apply_ecs_tags(self.module, self.client, current["taskDefinitionArn"], tags_dict(current_tags), self.tags,
                                  self.p["purge_tags"], self.diff)
            definition = current
        return {"changed": self.diff.has_changes, "task_definition": definition, "changed_fields": changed_fields,
                "tags": tags, "deregistered": [], "diff": self.diff.as_diff()}

    def register(self, wanted, current, current_tags):
        """A new revision, tagged as asked (with the current revision's tags when no tags are given)."""
        tags = current_tags if self.tags is None else self.tags
        check_tags(tags, "ecs")
        if self.module.check_mode:
            predicted = dict(wanted, revision=(current or {}).get("revision", 0) + 1, status="ACTIVE", taskDefinitionArn=None)
            return predicted, tags
        request = dict(wanted, tags=dict_to_tags(tags, key="key", value="value")) if tags else wanted
        return _ecs.register_task_definition(self.client, request), tags

    def absent(self):
        if self.p["revision"] is not None:
            current, _tags = _ecs.describe_task_definition(self.client, f"{self.family}:{self.p['revision']}")
            arns = [current["taskDefinitionArn"]] if current and current.get("status") == "ACTIVE" else []
        else:
            arns = _ecs.list_active_task_definitions(self.client, self.family)
        if arns:
            self.diff.add("active_revisions", [a.rsplit(":", 1)[1] for a in arns], [])
        if not self.module.check_mode:
            for arn in arns:
                _ecs.deregister_task_definition(self.client, arn)
        remaining = None
        if self.p["revision"] is not None:
            remaining, _tags = _ecs.describe_task_definition(self.client, self.family)
        return {"changed": self.diff.has_changes, "task_definition": remaining, "changed_fields": [], "tags": {},
                "deregistered": arns, "diff": self.diff.as_diff()}


def main():
    argument_spec = dict(
        family=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        revision=dict(type="int"),
        container_definitions=dict(type="list", elements="dict"),
        network_mode=dict(type="str", choices=["bridge", "host", "none", "awsvpc"], default="bridge"),
        requires_compatibilities=dict(type="list", elements="str", choices=["EXTERNAL", "EC2"], default=["EXTERNAL"]),
        task_role_arn=dict(type="str"),
        execution_role_arn=dict(type="str"),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        volumes=dict(type="list", elements="dict"),
        placement_constraints=dict(type="list", elements="dict"),
        pid_mode=dict(type="str", choices=["host", "task"]),
        ipc_mode=dict(type="str", choices=["host", "task", "none"]),
        runtime_platform=dict(type="dict"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True,
                         required_if=[("state", "present", ["container_definitions"])])
    run(module, TaskDefinitionManager)


if __name__ == "__main__":
    main()
