#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_service
version_added: 0.2.0
short_description: Run an ECS service on the EXTERNAL (ECS Anywhere) instances of a cluster
description:
  - Creates, updates and removes a service of launch type V(EXTERNAL), and waits until ECS reports it settled.
  - Exists beside M(community.aws.ecs_service) because that module accepts only the V(EC2) and V(FARGATE) launch types.
  - V(REPLICA) services run O(desired_count) tasks spread over the instances; V(DAEMON) services run one task on every
    container instance that meets their requirements, hosts that enroll later included.
  - A new task definition revision (or O(force_new_deployment)) starts a rolling deployment that keeps at least
    O(deployment_configuration.minimum_healthy_percent) of the tasks running.
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  name:
    description:
      - Service name.
    type: str
    required: true
  cluster:
    description:
      - Cluster name or ARN.
    type: str
    required: true
  state:
    description:
      - V(present) creates the service or updates what differs.
      - V(absent) scales it to zero, waits for its tasks to stop (when O(wait)), and deletes it.
    type: str
    choices: [present, absent]
    default: present
  task_definition:
    description:
      - Family (its latest V(ACTIVE) revision), C(family:revision) or ARN. Required to create the service.
      - With a family alone, a service running an older revision is updated to the latest one, which is how a deploy rolls out
        a revision registered by M(hybridfleet.ecs_anywhere.ecs_task_definition).
    type: str
  scheduling_strategy:
    description:
      - V(REPLICA) or V(DAEMON). ECS cannot change it on an existing service; the module refuses and says so.
    type: str
    choices: [REPLICA, DAEMON]
    default: REPLICA
  desired_count:
    description:
      - Tasks to run (V(REPLICA) only). Unset keeps the current count, and creates with 1.
    type: int
  deployment_configuration:
    description:
      - How a deployment replaces tasks. Unset keys keep their current values (ECS's defaults on creation, 100 and 200).
    type: dict
    suboptions:
      minimum_healthy_percent:
        description:
          - Tasks that must keep running during a deployment, as a percentage of O(desired_count) (rounded up).
        type: int
      maximum_percent:
        description:
          - Tasks that may run during a deployment, as a percentage of O(desired_count) (rounded down).
        type: int
      circuit_breaker:
        description:
          - The deployment circuit breaker.
        type: dict
        suboptions:
          enable:
            description:
              - Stop a deployment whose tasks keep failing to start.
            type: bool
            required: true
          rollback:
            description:
              - Roll back to the last deployment that completed when the breaker trips.
            type: bool
            required: true
  placement_constraints:
    description:
      - Each with C(type) V(memberOf) and an C(expression) in the cluster query language (for instance
        C(attribute:site == plant-7)), or C(type) V(distinctInstance). An empty list removes them; unset leaves them alone.
    type: list
    elements: dict
  placement_strategy:
    description:
      - Each with C(type) (V(spread), V(binpack), V(random)) and C(field), as CreateService takes them. Not for V(DAEMON).
    type: list
    elements: dict
  enable_execute_command:
    description:
      - ECS Exec into the service's containers. Unset leaves it as it is (off on creation).
    type: bool
  force_new_deployment:
    description:
      - Start a new deployment even when nothing changed (for instance to pull a moved image tag again).
    type: bool
    default: false
  wait:
    description:
      - Wait until the service is settled (one deployment, every desired task running) or, with O(state=absent), gone.
      - When the circuit breaker fails the deployment (and, with rollback, ECS goes back to the last revision that
        completed) the module fails at once, naming the revision and ECS's reason, instead of waiting for O(wait_timeout).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait. On timeout the module fails, saying how many tasks run of how many and ECS's latest events.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two looks at the service while waiting.
    type: int
    default: 5
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.tags
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.STATE
"""

EXAMPLES = r"""
- name: The guide's on-prem app, three replicas on the fleet
  hybridfleet.ecs_anywhere.ecs_service:
    name: on-prem-app
    cluster: hybrid-cluster
    task_definition: on-prem-app
    desired_count: 3
    deployment_configuration:
      minimum_healthy_percent: 50
      maximum_percent: 100
    placement_constraints:
      - type: memberOf
        expression: "attribute:site == plant-7"

- name: A log shipper on every host, those that enroll later included
  hybridfleet.ecs_anywhere.ecs_service:
    name: log-shipper
    cluster: hybrid-cluster
    task_definition: log-shipper
    scheduling_strategy: DAEMON

- name: Remove it
  hybridfleet.ecs_anywhere.ecs_service:
    name: on-prem-app
    cluster: hybrid-cluster
    state: absent
"""

RETURN = r"""
service:
  description:
    - The service after the run in snake_case, tags as a dict; predicted in check mode. V(null) after O(state=absent).
  returned: always
  type: dict
  contains:
    service_name:
      description: Name.
      type: str
    task_definition:
      description: ARN of the task definition of the primary deployment.
      type: str
    desired_count:
      description: Tasks wanted (for DAEMON, the instances that qualify).
      type: int
    running_count:
      description: Tasks running.
      type: int
    deployments:
      description: The deployments, the PRIMARY one first when ECS lists it so.
      type: list
      elements: dict
    events:
      description: ECS's latest service events (placement failures say why here).
      type: list
      elements: dict
tasks:
  description:
    - The service's running tasks and where they run (empty in check mode and after O(state=absent)), sorted by host.
    - Each row has the keys M(hybridfleet.ecs_anywhere.ecs_task_info) returns, among them the ones below.
  returned: always
  type: list
  elements: dict
  contains:
    task_arn:
      description: Task ARN.
      type: str
    task_definition_arn:
      description: The revision it runs.
      type: str
    last_status:
      description: V(RUNNING), V(PENDING)...
      type: str
    container_instance_arn:
      description: Container instance it runs on.
      type: str
    managed_instance_id:
      description: The host's SSM managed instance id (C(mi-...)), as the C(fleet) inventory names it.
      type: str
changed_fields:
  description: What differed from the service ECS had (UpdateService fields), or V(state).
  returned: always
  type: list
  elements: str
"""

import time
import uuid

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ecs
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ecs_tasks
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _service_plan
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ecs_tags import apply_ecs_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import _snake_text
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import dict_to_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import tags_to_dict
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import check_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import normalize_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import poll_until


def shape_service(raw):
    if raw is None:
        return None
    shaped = _snake_text(raw, keep=("tags",))
    shaped["tags"] = tags_to_dict(raw.get("tags"), key="key", value="value")
    return shaped


def latest_events(service):
    """ECS's three newest service events in one line: what a failure message shows of why."""
    return "; ".join(e.get("message", "") for e in (service.get("events") or [])[:3]) or "none"


class ServiceManager:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.cluster = check_cluster(self.p["cluster"])
        self.name = self.p["name"]
        self.tags = None if self.p["tags"] is None else normalize_tags(self.p["tags"])
        self.client = module.client("ecs")
        self.diff = DifferenceTracker()

    def run(self):
        current = _ecs.describe_service(self.client, self.cluster, self.name)
        if self.p["state"] == "absent":
            return self.absent(current)
        return self.present(current)

    def result(self, service, tasks=None):
        return {"changed": self.diff.has_changes, "service": shape_service(service), "tasks": tasks or [],
                "changed_fields": self.diff.changed_names(), "diff": self.diff.as_diff()}

    # --- present -----------------------------------------------------------------------------------------------------
    def present(self, current):
        _service_plan.check_params(self.p, current)
        arn = self.task_definition_arn(current)
        if current is None:
            service = self.create(arn)
        else:
            service = self.update(current, arn)
            service = dict(service, tags=dict_to_tags(self.retag(current), key="key", value="value"))
        if self.module.check_mode:
            return self.result(service)
        if self.p["wait"]:
            service = self.wait_until(lambda s: _service_plan.steady(s) or _service_plan.failed_rollout(s, arn), "settled")
            failure = _service_plan.failed_rollout(service, arn)
            if failure:
                # Waiting on would only time out: the circuit breaker decided (see deployment_configuration).
                raise FleetError(f"Service {self.name} in cluster {self.cluster}: {failure}. Latest ECS events: {latest_events(service)}. Look at the "
                                 "stopped tasks' stoppedReason (hybridfleet.ecs_anywhere.ecs_task_info with desired_status STOPPED), "
                                 "fix the task definition and deploy again.", service=shape_service(service))
        return self.result(service, self.tasks())

    def task_definition_arn(self, current):
        ref = self.p["task_definition"]
        if ref is None:
            if current is None:
                raise FleetError(f"task_definition is required to create service {self.name}. Nothing was changed.")
            return current["taskDefinition"]
        definition, _tags = _ecs.describe_task_definition(self.client, ref)
        if definition is None and self.module.check_mode:
            # An earlier task of the same play may register it; check mode registered nothing.
            self.module.warn(f"task definition {ref} has no ACTIVE revision yet; check mode predicts the service with it as given.")
            return ref
        if definition is None:
            raise FleetError(f"task definition {ref} has no ACTIVE revision; register it first (hybridfleet.ecs_anywhere.ecs_task_definition). "
                             "Nothing was changed.")
        if "EXTERNAL" not in (definition.get("compatibilities") or []):
            raise FleetError(f"task definition {definition['taskDefinitionArn']} is not compatible with EXTERNAL (it is "
                             f"{', '.join(definition.get('compatibilities') or [])}); register it with requires_compatibilities EXTERNAL. "
                             "Nothing was changed.")
        return definition["taskDefinitionArn"]

    def create(self, arn):
        check_tags(self.tags or {}, "ecs")
        self.diff.add("state", "absent", "present")
        request = _service_plan.create_request(self.p, arn)
        if self.tags:
            request["tags"] = dict_to_tags(self.tags, key="key", value="value")
        if self.module.check_mode:
            return dict(request, status="ACTIVE", runningCount=0, deployments=[], events=[])
        # The token makes a retried CreateService (after a lost response) the same creation, not a conflict.
        return _ecs.create_service(self.client, dict(request, clientToken=str(uuid.uuid4())))

    def update(self, current, arn):
        request, changes = _service_plan.update_request(self.p, current, arn)
        for field, (before, after) in changes.items():
            self.diff.add(field, before, after)
        if self.p["force_new_deployment"]:
            self.diff.add("deployment", current.get("deployments", [{}])[0].get("id"), "new")
        if not request or self.module.check_mode:
            return dict(current, **{k: v for k, v in request.items() if k not in ("cluster", "service", "forceNewDeployment")})
        return _ecs.update_service(self.client, request)

    def retag(self, current):
        return apply_ecs_tags(self.module, self.client, current["serviceArn"], tags_to_dict(current.get("tags"), key="key", value="value"),
                              self.tags, self.p["purge_tags"], self.diff)

    # --- absent ------------------------------------------------------------------------------------------------------
    def absent(self, current):
        if current is None:
            return self.result(None)
        self.diff.add("state", "present", "absent")
        if self.module.check_mode:
            return self.result(None)
        if current.get("schedulingStrategy", "REPLICA") == "REPLICA" and current.get("desiredCount"):
            # Scale to zero first, so the tasks stop as the scheduler stops them (draining, deregistration delay).
            _ecs.update_service(self.client, {"cluster": self.cluster, "service": self.name, "desiredCount": 0})
            if self.p["wait"]:
                self.wait_until(lambda s: not s.get("runningCount") and not s.get("pendingCount"), "without tasks")
        _ecs.delete_service(self.client, self.cluster, self.name)
        if self.p["wait"]:
            self.wait_until(lambda s: s is None, "deleted", allow_missing=True)
        return self.result(None)

    # --- waiting and reporting -----------------------------------------------------------------------------------------
    def wait_until(self, is_done, what, allow_missing=False):
        def fetch():
            return _ecs.describe_service(self.client, self.cluster, self.name)

        def done(service):
            if service is None:
                return allow_missing
            return is_done(service)

        started = time.monotonic()
        outcome = poll_until(fetch, done, self.p["wait_timeout"], self.p["poll_interval"])
        if outcome.done:
            return outcome.value
        service = outcome.value or {}
        raise FleetError(f"Service {self.name} in cluster {self.cluster} is not {what} after {int(time.monotonic() - started)}s: "
                         f"{_service_plan.progress(service)}. Latest ECS events: {latest_events(service)}. The change was made; re-run to wait again, "
                         "or look at the events (placement needs free CPU, memory and host ports on an ACTIVE instance that meets the "
                         "constraints).", service=shape_service(outcome.value))

    def tasks(self):
        return _ecs_tasks.task_rows(self.client, self.cluster, service=self.name)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        cluster=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        task_definition=dict(type="str"),
        scheduling_strategy=dict(type="str", choices=["REPLICA", "DAEMON"], default="REPLICA"),
        desired_count=dict(type="int"),
        deployment_configuration=dict(type="dict", options=dict(
            minimum_healthy_percent=dict(type="int"),
            maximum_percent=dict(type="int"),
            circuit_breaker=dict(type="dict", options=dict(
                enable=dict(type="bool", required=True),
                rollback=dict(type="bool", required=True),
            )),
        )),
        placement_constraints=dict(type="list", elements="dict"),
        placement_strategy=dict(type="list", elements="dict"),
        enable_execute_command=dict(type="bool"),
        force_new_deployment=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="int", default=5),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, ServiceManager)


if __name__ == "__main__":
    main()
