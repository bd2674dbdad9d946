#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_container_instance
version_added: 0.1.0
short_description: Activate, drain or deregister ECS container instances and set their attributes
description:
  - Changes the state of one or more container instances of an ECS cluster, such as ECS Anywhere
    servers, and puts or removes their custom attributes.
  - O(state=draining) with O(wait=true) waits until the instances run no tasks. All instances are
    polled together with one batched DescribeContainerInstances call per 100 instances per round.
    Draining stops service tasks only; standalone tasks keep running and are reported by ARN when the
    wait times out.
  - O(state=deregistered) deregisters instances that run no tasks. With O(wait=true) it drains them first;
    with O(force=true) it deregisters even when tasks still run (they are orphaned).
  - On a wait timeout the module fails, names what is still running, and leaves the instances
    V(DRAINING) unless O(revert_on_timeout=true).
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  cluster:
    description:
      - Name or ARN of the cluster.
    type: str
    required: true
  container_instance:
    description:
      - The container instances (ARNs or ids); one value or a list.
      - One of O(container_instance) and O(managed_instance_id) is required.
    type: list
    elements: str
  managed_instance_id:
    description:
      - The container instances of these managed instances (C(mi-) ids); one value or a list.
    type: list
    elements: str
  state:
    description:
      - V(active) accepts tasks, V(draining) moves tasks away, V(deregistered) removes the instance from the cluster.
      - Unset leaves the state alone (to manage attributes only).
      - Instances that are already deregistered (or not found) count as V(deregistered).
    type: str
    choices: [active, draining, deregistered]
  wait:
    description:
      - Wait for draining instances to run no tasks (running and pending counts both 0).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait before failing.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between polls while waiting.
    type: int
    default: 10
  force:
    description:
      - With O(state=deregistered), deregister even if tasks are still running.
    type: bool
    default: false
  revert_on_timeout:
    description:
      - When the wait times out, set the instances back to V(ACTIVE) instead of leaving them V(DRAINING).
    type: bool
    default: false
  attributes:
    description:
      - Custom attributes to put, as name to value (V(null) for a valueless attribute).
      - Names starting with V(ecs.) belong to the agent and are refused.
    type: dict
  remove_attributes:
    description:
      - Names of custom attributes to remove.
    type: list
    elements: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: Nothing is changed and nothing is waited for; the result predicts the change.
  diff_mode:
    support: full
  platform:
    platforms: all
"""

EXAMPLES = r"""
- name: Drain a server and wait for its service tasks to move
  hybridfleet.ecs_anywhere.ecs_container_instance:
    cluster: hybrid-cluster
    managed_instance_id: "{{ ssm_managed_instance_id }}"
    state: draining
    wait: true
    wait_timeout: 900

- name: Drain then deregister a whole group of servers at once
  hybridfleet.ecs_anywhere.ecs_container_instance:
    cluster: hybrid-cluster
    managed_instance_id: "{{ groups['retiring'] | map('extract', hostvars, 'ssm_managed_instance_id') | list }}"
    state: deregistered
    wait: true

- name: Mark a server's site
  hybridfleet.ecs_anywhere.ecs_container_instance:
    cluster: hybrid-cluster
    container_instance: 0123456789abcdef0123456789abcdef
    attributes:
      site: plant-7
    remove_attributes:
      - legacy
"""

RETURN = r"""
container_instances:
  description:
    - The container instances after the change (predicted in check mode), with the same keys as
      RV(hybridfleet.ecs_anywhere.ecs_container_instance_info#module:container_instances).
  returned: always
  type: list
  elements: dict
before:
  description: State of each instance before (arn, managed instance id, status, task counts, custom attributes).
  returned: always
  type: list
  elements: dict
after:
  description: State of each instance after, same keys as RV(before).
  returned: always
  type: list
  elements: dict
standalone_tasks:
  description: Per container instance ARN, tasks that draining does not stop (only looked up when a wait times out).
  returned: on wait timeout
  type: dict
waited:
  description: Seconds spent waiting and poll rounds made.
  returned: when O(wait=true) and something was drained
  type: dict
  sample: {"seconds": 12.1, "rounds": 3}
"""

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ecs
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import PlanError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import TARGET_STATUS
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import attribute_changes
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import attribute_requests
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import busy_summary
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import predict
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import split_tasks
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import missing_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import select_by_managed_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import container_instance_id
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import container_instance_state
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_container_instance
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import poll_until
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import still_busy


class ContainerInstanceManager:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.cluster = check_cluster(module.params["cluster"])
        self.check_mode = module.check_mode
        self.client = module.client("ecs")
        self.waited = None
        self.clock = None  # tests inject a fake clock; None means real time

    # --- finding -------------------------------------------------------------------------

    def _resolve(self):
        """Raw descriptions of the targets; unknown targets fail unless they are meant to be gone."""
        gone_ok = self.p["state"] == "deregistered"
        found = []
        if self.p["container_instance"]:
            wanted = self.p["container_instance"]
            instances, _failures = _ecs.describe_container_instances(self.client, self.cluster, wanted)
            known = {ci["containerInstanceArn"] for ci in instances} | {container_instance_id(ci["containerInstanceArn"]) for ci in instances}
            self._unknown(missing_ids(wanted, known), gone_ok, "container instance")
            found.extend(instances)
        if self.p["managed_instance_id"]:
            wanted = self.p["managed_instance_id"]
            listed = select_by_managed_ids(_ecs.list_and_describe(self.client, self.cluster), wanted)
            self._unknown(missing_ids(wanted, [ci.get("ec2InstanceId") for ci in listed]), gone_ok, "managed instance")
            found.extend(ci for ci in listed if ci["containerInstanceArn"] not in {f["containerInstanceArn"] for f in found})
        if not gone_ok:
            inactive = [ci["containerInstanceArn"] for ci in found if ci.get("status") == "INACTIVE"]
            if inactive:
                raise FleetError(f"Container instances {', '.join(inactive)} are deregistered (INACTIVE) and cannot be changed; "
                                 "re-register the host with the ECS agent to bring it back.")
        return found

    def _unknown(self, missing, gone_ok, kind):
        if missing and not gone_ok:
            raise FleetError(f"No {kind} {', '.join(missing)} in cluster {self.cluster}; "
                             "check the ids and the cluster with hybridfleet.ecs_anywhere.ecs_container_instance_info.")

    def _describe(self, arns, include=("TAGS",)):
        return _ecs.describe_container_instances(self.client, self.cluster, arns, include=include)[0] if arns else []

    # --- changing ------------------------------------------------------------------------

    def run(self):
        if self.p["wait_timeout"] < 1 or self.p["poll_interval"] < 1:
            raise FleetError(f"wait_timeout and poll_interval must be at least 1 second, got {self.p['wait_timeout']} and {self.p['poll_interval']}; "
                             "set wait_timeout to how long draining may take (default 600) and poll_interval to how often to look (default 10).")
        try:
            targets = self._resolve()
            planned_attrs = {ci["containerInstanceArn"]: attribute_changes(
                container_instance_state(shape_container_instance(ci))["attributes"], self.p["attributes"], self.p["remove_attributes"])
                for ci in targets if ci.get("status") != "INACTIVE" and self.p["state"] != "deregistered"}
        except PlanError as e:
            raise FleetError(str(e)) from e
        before = [container_instance_state(shape_container_instance(ci)) for ci in targets]
        state = self.p["state"]
        if state == "deregistered":
            self._check_deregistrable(targets)

        self._apply_attributes(planned_attrs)
        if state == "active":
            self._set_status(targets, "ACTIVE")
        elif state == "draining":
            self._set_status(targets, "DRAINING")
            if self.p["wait"]:
                self._wait_drained(targets)
        elif state == "deregistered":
            self._deregister(targets)

        after = self._after(targets, planned_attrs)
        after_states = [container_instance_state(a) for a in after]
        diff = self._diff(before, after_states)
        result = {
            "changed": diff["before"] != diff["after"],
            "container_instances": after,
            "before": before,
            "after": after_states,
            "diff": diff,
        }
        if self.waited:
            result["waited"] = self.waited
        return result

    def _apply_attributes(self, planned):
        puts, deletes = [], []
        for arn, (to_put, to_delete) in planned.items():
            puts.extend(attribute_requests(arn, to_put.items()))
            deletes.extend(attribute_requests(arn, [(name, None) for name in to_delete]))
        if self.check_mode:
            return
        if puts:
            _ecs.put_attributes(self.client, self.cluster, puts)
        if deletes:
            _ecs.delete_attributes(self.client, self.cluster, deletes)

    def _set_status(self, targets, status):
        arns = [ci["containerInstanceArn"] for ci in targets if ci.get("status") != status]
        if arns and not self.check_mode:
            _instances, failures = _ecs.update_container_instances_state(self.client, self.cluster, arns, status)
            if failures:
                raise FleetError(f"ECS refused to set {status} on: " + "; ".join(f"{f.get('arn')} ({f.get('reason')})" for f in failures),
                                 failures=failures)
        return arns

    def _check_deregistrable(self, targets):
        if self.p["force"] or self.p["wait"]:
            return
        busy = still_busy([ci for ci in targets if ci.get("status") != "INACTIVE"])
        if busy:
            raise FleetError("Not deregistering: tasks still run on " + busy_summary(busy) +
                             ". Use wait: true to drain first, or force: true to deregister anyway (the tasks are orphaned).")

    def _deregister(self, targets):
        live = [ci for ci in targets if ci.get("status") != "INACTIVE"]
        if not live or self.check_mode:
            return
        if self.p["wait"] and not self.p["force"]:
            self._set_status(live, "DRAINING")
            self._wait_drained(live)
        for ci in live:
            _ecs.deregister_container_instance(self.client, self.cluster, ci["containerInstanceArn"], force=self.p["force"])

    def _wait_drained(self, targets):
        if self.check_mode or not targets:
            return
        arns = [ci["containerInstanceArn"] for ci in targets]
        # One batched describe (100 per call) per round for all instances, without tags to keep it light.
        outcome = poll_until(lambda: self._describe(arns, include=()), lambda instances: not still_busy(instances),
                             self.p["wait_timeout"], self.p["poll_interval"], clock=self.clock)
        self.waited = {"seconds": round(outcome.elapsed, 1), "rounds": outcome.rounds}
        if outcome.done:
            return
        busy = still_busy(outcome.value)
        standalone = self._standalone_tasks(busy)
        if self.p["revert_on_timeout"]:
            self._set_status(outcome.value, "ACTIVE")
            left = "They were set back to ACTIVE (revert_on_timeout)."
        else:
            left = "They are left DRAINING; re-run to keep waiting, or set revert_on_timeout: true to undo."
        raise FleetError(f"Timed out after {self.p['wait_timeout']}s waiting for {len(busy)} container instance(s) to drain: "
                         f"{busy_summary(busy, standalone)}. Stop standalone tasks yourself (draining never stops them) "
                         f"or deregister with force: true. {left}",
                         standalone_tasks=standalone, waited=self.waited,
                         container_instances=[shape_container_instance(ci) for ci in outcome.value])

    def _standalone_tasks(self, busy):
        result = {}
        for ci in busy:
            arn = ci["containerInstanceArn"]
            task_arns = _ecs.list_task_arns(self.client, self.cluster, arn)
            _service, standalone = split_tasks(_ecs.describe_tasks(self.client, self.cluster, task_arns)) if task_arns else ([], [])
            if standalone:
                result[arn] = standalone
        return result

    # --- reporting -----------------------------------------------------------------------

    def _after(self, targets, planned_attrs):
        if self.check_mode:
            status = TARGET_STATUS.get(self.p["state"])
            return [predict(shape_container_instance(ci), status, *planned_attrs.get(ci["containerInstanceArn"], ({}, [])))
                    for ci in targets]
        if not (self.p["state"] or any(a or d for a, d in planned_attrs.values())):
            return [shape_container_instance(ci) for ci in targets]
        fresh = {ci["containerInstanceArn"]: ci for ci in self._describe([ci["containerInstanceArn"] for ci in targets])}
        after = []
        for ci in targets:
            # A deregistered instance may already have aged out of DescribeContainerInstances.
            latest = fresh.get(ci["containerInstanceArn"]) or dict(ci, status="INACTIVE")
            after.append(shape_container_instance(latest))
        return after

    @staticmethod
    def _diff(before, after):
        def keyed(states):
            return {s["container_instance_arn"]: {"status": s["status"], "attributes": s["attributes"]} for s in states}
        return {"before": keyed(before), "after": keyed(after)}


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        container_instance=dict(type="list", elements="str"),
        managed_instance_id=dict(type="list", elements="str"),
        state=dict(type="str", choices=["active", "draining", "deregistered"]),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="int", default=10),
        force=dict(type="bool", default=False),
        revert_on_timeout=dict(type="bool", default=False),
        attributes=dict(type="dict"),
        remove_attributes=dict(type="list", elements="str"),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True,
                         required_one_of=[["container_instance", "managed_instance_id"]])
    run(module, ContainerInstanceManager)


if __name__ == "__main__":
    main()
