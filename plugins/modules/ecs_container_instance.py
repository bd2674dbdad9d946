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
  - On a wait timeout the module fails, names the instances still running tasks and how many, and leaves
    them V(DRAINING) unless O(revert_on_timeout=true). The result says per instance what happened
    (RV(outcomes), RV(by_managed_instance_id)), on success and on failure alike.
  - Managed instance ids are resolved with the cluster query language (C(ec2InstanceId in [...]), 90 ids
    per call), not by listing the cluster. Every call stays within AWS's per-call limits (10 instances per
    state change, 10 attributes per call, 100 instances per describe).
  - Acts only on what it can prove is in O(cluster) - a container instance ARN naming another cluster, or a
    cluster or instance ARN of another region or account than the task's, is refused before any change (the
    account is read with STS GetCallerIdentity, which needs no IAM permission, only when an ARN is given).
    With O(state=deregistered), a target missing from O(cluster) counts as already deregistered only when no
    other cluster of the region holds it (ListClusters, then one query per cluster).
  - The result is compact by default (see O(result_detail)), so that draining thousands of instances does
    not return megabytes.
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  cluster:
    description:
      - Name or ARN of the cluster. An ARN must be of the task's region and account.
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
      - When the wait times out, set back to V(ACTIVE) the instances that this task set V(DRAINING) and that
        still run tasks, instead of leaving them V(DRAINING).
      - Instances that were already V(DRAINING) before the task stay V(DRAINING) (someone else drained them),
        and instances that drained in time stay drained (their RV(outcomes) is V(drained)).
    type: bool
    default: false
  attributes:
    description:
      - Custom attributes to put, as name to value (V(null) for a valueless attribute).
      - Names starting with V(ecs.) belong to the agent and are refused.
      - "ECS's rules are checked before any change: names 1-128 letters, digits, C(-), C(_), C(/), C(\\) or C(.);
        values 1-128 letters, digits, spaces, C(-), C(_), C(.), C(@), C(/), C(\\) or C(:), not starting or ending
        with a space; at most 10 custom attributes per container instance after the change."
      - Booleans are stored as V(true) / V(false) and numbers as their digits (YAML C(yes) is V(true), not V(True)).
    type: dict
  remove_attributes:
    description:
      - Names of custom attributes to remove.
    type: list
    elements: str
  result_detail:
    description:
      - V(compact) returns each instance in RV(container_instances) with its identifiers, cluster, status, agent
        version and connection, task counts and custom attributes only, and leaves out RV(before) and RV(after).
      - V(full) returns the full descriptions, as M(hybridfleet.ecs_anywhere.ecs_container_instance_info) does, and
        RV(before) and RV(after).
      - The C(diff) key is returned only with C(--diff), whatever this option says.
    type: str
    choices: [compact, full]
    default: compact
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.STATE
attributes:
  check_mode:
    details: Nothing is changed and nothing is waited for; the result predicts the change.
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
    - The container instances after the change (predicted in check mode).
    - With O(result_detail=compact) (the default), each holds C(container_instance_arn), C(container_instance_id),
      C(cluster_name), C(cluster_arn), C(managed_instance_id), C(status), C(agent_connected), C(agent_version),
      C(running_tasks_count), C(pending_tasks_count) and C(attributes) (custom ones only).
    - With O(result_detail=full), the same keys as
      RV(hybridfleet.ecs_anywhere.ecs_container_instance_info#module:container_instances).
    - Also returned when a drain fails or times out, as the instances were at that moment.
  returned: always
  type: list
  elements: dict
before:
  description: State of each instance before (arn, managed instance id, status, task counts, custom attributes).
  returned: when O(result_detail=full)
  type: list
  elements: dict
after:
  description: State of each instance after, same keys as RV(before).
  returned: when O(result_detail=full)
  type: list
  elements: dict
timed_out:
  description: Whether the drain wait ran out of O(wait_timeout) with tasks still running.
  returned: when the task waited for draining (O(wait=true) with O(state=draining) or O(state=deregistered)), also on failure
  type: bool
outcomes:
  description:
    - What happened to each container instance, by ARN.
    - V(drained) - it is V(DRAINING) and runs no tasks (set so by this task or before it).
    - V(timed_out) - it still ran tasks when O(wait_timeout) passed and is left V(DRAINING).
    - V(reverted) - this task set it V(DRAINING), it still ran tasks at the timeout, and O(revert_on_timeout) set it back to V(ACTIVE).
    - V(failed) - ECS refused to change its state (the message names the reason).
    - V(unchanged) - nothing was done to it or learned about it (check mode).
  returned: when the task waited for draining, also on failure
  type: dict
  sample: {"arn:aws:ecs:us-east-1:123456789012:container-instance/hybrid-cluster/0123456789abcdef0123456789abcdef": "drained"}
by_managed_instance_id:
  description: RV(outcomes) by managed instance id, with each instance's ARN, its task count and status at the end.
  returned: when the task waited for draining, also on failure
  type: dict
  sample: {"mi-0123456789abcdef0": {"container_instance_arn": "arn:aws:ecs:...", "outcome": "timed_out", "running_tasks_count": 2,
                                    "status": "DRAINING"}}
standalone_tasks:
  description:
    - Per container instance ARN, tasks that draining does not stop (only looked up when a wait times out, for the
      first 10 instances still running tasks).
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
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_arn_location
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_managed_instance_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import PlanError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import TARGET_STATUS
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import attribute_changes
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import attribute_requests
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import busy_summary
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import drain_outcomes
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import foreign_instances
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import outcomes_by_managed_instance
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import predict
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import split_tasks
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import NAMED_IN_MESSAGES
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import name_some
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import missing_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import select_by_managed_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_ids_in_clusters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_in_clusters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import cluster_identity
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import compact_container_instance
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import container_instance_summary
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import container_instance_id
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import container_instance_state
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_container_instance
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import poll_until
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import still_busy

# Instances whose standalone tasks are looked up when a wait times out (one or two calls each): the
# message names the first few anyway, and a 5,000-instance timeout must not cost 5,000 more calls.
STANDALONE_LOOKUPS = 2 * NAMED_IN_MESSAGES


class ContainerInstanceManager:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.cluster = check_cluster(module.params["cluster"])
        self.cluster_name = cluster_identity(self.cluster)[0]
        self.check_mode = module.check_mode
        self.client = module.client("ecs")
        self.waited = None
        self.changed_status = False  # a state change ECS accepted (even one undone by revert_on_timeout)
        self.drain = None  # what the drain wait found: outcomes and the last descriptions
        self.clock = None  # tests inject a fake clock; None means real time

    # --- checking and finding ------------------------------------------------------------------------

    def _check_inputs(self):
        p = self.p
        if p["wait_timeout"] < 1 or p["poll_interval"] < 1:
            raise FleetError(f"wait_timeout and poll_interval must be at least 1 second, got {p['wait_timeout']} and {p['poll_interval']}; "
                             "set wait_timeout to how long draining may take (default 600) and poll_interval to how often to look (default 10).")
        check_managed_instance_ids(p["managed_instance_id"], "managed_instance_id")
        for option, values in (("cluster", [self.cluster]), ("container_instance", p["container_instance"])):
            check_arn_location(values, self.module.region, self.module.caller_account, option)

    def _resolve(self):
        """Raw descriptions of the targets; unknown targets fail unless they are meant to be gone."""
        gone_ok = self.p["state"] == "deregistered"
        found = []
        if self.p["container_instance"]:
            wanted = self.p["container_instance"]
            instances, _failures = _ecs.describe_container_instances(self.client, self.cluster, wanted)
            # After that read (an unknown cluster is reported as such), before anything is written or taken as gone.
            self._refuse_foreign(wanted)
            known = {ci["containerInstanceArn"] for ci in instances} | {container_instance_id(ci["containerInstanceArn"]) for ci in instances}
            self._unknown(missing_ids(wanted, known), gone_ok, "container instance")
            found.extend(instances)
        if self.p["managed_instance_id"]:
            wanted = self.p["managed_instance_id"]
            listed = select_by_managed_ids(_ecs.describe_by_managed_ids(self.client, self.cluster, wanted), wanted)
            self._unknown(missing_ids(wanted, [ci.get("ec2InstanceId") for ci in listed]), gone_ok, "managed instance")
            known = {f["containerInstanceArn"] for f in found}
            found.extend(ci for ci in listed if ci["containerInstanceArn"] not in known)
        if not gone_ok:
            inactive = [ci["containerInstanceArn"] for ci in found if ci.get("status") == "INACTIVE"]
            if inactive:
                raise FleetError(f"Container instances {name_some(inactive)} are deregistered (INACTIVE) and cannot be changed; "
                                 "re-register the host with the ECS agent to bring it back.")
        return found

    def _refuse_foreign(self, wanted):
        """Container instance ARNs name their cluster: one of another cluster is refused, never taken as deregistered."""
        foreign = foreign_instances(wanted, self.cluster_name)
        if foreign:
            raise FleetError(f"Container instance {name_some(f'{arn} is in cluster {other}' for arn, other in foreign)}, not in {self.cluster_name}; "
                             f"give cluster: {foreign[0][1]} to act on it there, or check the ids with "
                             "hybridfleet.ecs_anywhere.ecs_container_instance_info. Nothing was changed.")

    def _unknown(self, missing, gone_ok, kind):
        if not missing:
            return
        if not gone_ok:
            raise FleetError(f"No {kind} {name_some(missing)} in cluster {self.cluster_name}; "
                             "check the ids and the cluster with hybridfleet.ecs_anywhere.ecs_container_instance_info.")
        self._refuse_if_elsewhere(missing, kind)

    def _refuse_if_elsewhere(self, missing, kind):
        """A target missing here counts as deregistered only if no other cluster of the region still holds it."""
        # A container instance ARN naming this cluster (see _refuse_foreign) cannot be elsewhere.
        missing = [m for m in missing if not (str(m).startswith("arn:") and str(m).count("/") == 2)]
        others = [arn for arn in _ecs.list_cluster_arns(self.client) if cluster_identity(arn)[0] != self.cluster_name] if missing else []
        if not others:
            return
        if kind == "managed instance":
            found = find_in_clusters(self.client, missing, clusters=others, include=())
        else:
            found = find_ids_in_clusters(self.client, missing, clusters=others)
        if found:
            where = [f"{ci.get('ec2InstanceId') or ci['containerInstanceArn']} is registered in cluster {cluster_identity(cluster)[0]}"
                     for cluster, instances in found.items() for ci in instances]
            raise FleetError(f"Not deregistering: {name_some(where)}, not in {self.cluster_name}. Give that cluster to deregister it there "
                             "(hybridfleet.ecs_anywhere.ecs_container_instance_info with any_cluster: true shows where each host is). "
                             "Nothing was changed.")

    def _describe(self, arns, include=("TAGS",)):
        return _ecs.describe_container_instances(self.client, self.cluster, arns, include=include)[0] if arns else []

    # --- changing ------------------------------------------------------------------------------------

    def run(self):
        self._check_inputs()
        try:
            targets = self._resolve()
            planned_attrs = {ci["containerInstanceArn"]: self._plan_attributes(ci)
                             for ci in targets if ci.get("status") != "INACTIVE" and self.p["state"] != "deregistered"}
        except PlanError as e:
            raise FleetError(str(e)) from e
        before = [container_instance_state(container_instance_summary(ci)) for ci in targets]
        state = self.p["state"]
        if state == "deregistered":
            self._check_deregistrable(targets)

        self._apply_attributes(planned_attrs)
        if state == "active":
            self._set_status(targets, "ACTIVE", fail=True)
        elif state == "draining":
            drained_by_call, failed = self._set_status(targets, "DRAINING")
            if self.p["wait"]:
                self._wait_drained(targets, drained_by_call, failed)
            elif failed:
                self._refused("DRAINING", failed)
        elif state == "deregistered":
            self._deregister(targets)

        after = self._after(targets, planned_attrs)
        after_states = [container_instance_state(a) for a in after]
        attributes_changed = any(a or d for a, d in planned_attrs.values())
        result = {
            "changed": bool(self.changed_status or attributes_changed or [a["status"] for a in after_states] != [b["status"] for b in before]),
            "container_instances": self._rows(after),
        }
        if self.p["result_detail"] == "full":
            result.update(before=before, after=after_states)
        if self.module._diff:
            result["diff"] = self._diff(before, after_states)
        if self.waited:
            result["waited"] = self.waited
        if self.drain:
            result.update(timed_out=False, outcomes=self.drain["outcomes"], by_managed_instance_id=self.drain["by_managed_instance_id"])
        return result

    def _plan_attributes(self, ci):
        current = container_instance_state(container_instance_summary(ci))["attributes"]
        try:
            return attribute_changes(current, self.p["attributes"], self.p["remove_attributes"])
        except FleetError as e:
            raise FleetError(f"{ci.get('ec2InstanceId') or ci['containerInstanceArn']}: {e.message}") from e

    def _shape(self, raw):
        """A full description or only its summary: converting thousands of full descriptions is most of a big drain's cost."""
        if self.p["result_detail"] == "full":
            return shape_container_instance(raw, self.cluster)
        return container_instance_summary(raw, self.cluster)

    def _rows(self, shaped):
        if self.p["result_detail"] == "full":
            return shaped
        return [compact_container_instance(ci) for ci in shaped]

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

    def _set_status(self, targets, status, fail=False):
        """(ARNs ECS changed to `status`, {ARN: reason} it refused); fail=True raises on any refusal."""
        arns = [ci["containerInstanceArn"] for ci in targets if ci.get("status") != status]
        if not arns or self.check_mode:
            return [], {}
        _instances, failures = _ecs.update_container_instances_state(self.client, self.cluster, arns, status)
        refused = {f.get("arn"): f.get("reason") for f in failures}
        changed = [arn for arn in arns if arn not in refused and container_instance_id(arn) not in refused]
        self.changed_status = self.changed_status or bool(changed)
        if refused and fail:
            self._refused(status, refused)
        return changed, refused

    def _refused(self, status, refused, **extra):
        raise FleetError(f"ECS refused to set {status} on: " + name_some(f"{arn} ({reason})" for arn, reason in refused.items()),
                         failures=[{"arn": arn, "reason": reason} for arn, reason in refused.items()], changed=self.changed_status, **extra)

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
            drained_by_call, failed = self._set_status(live, "DRAINING")
            self._wait_drained(live, drained_by_call, failed)
        for ci in live:
            _ecs.deregister_container_instance(self.client, self.cluster, ci["containerInstanceArn"], force=self.p["force"])
        self.changed_status = True

    def _wait_drained(self, targets, drained_by_call, failed):
        """Wait for the targets ECS accepted to run no tasks; on timeout revert only what this call drained."""
        arns = [ci["containerInstanceArn"] for ci in targets]
        if self.check_mode or not targets:
            self._record_drain(targets, drain_outcomes(arns, waited=False))
            return
        polled = [arn for arn in arns if arn not in failed]
        # One batched describe (100 per call) per round for all instances, without tags to keep it light.
        outcome = poll_until(lambda: self._describe(polled, include=()), lambda instances: not still_busy(instances),
                             self.p["wait_timeout"], self.p["poll_interval"], clock=self.clock)
        self.waited = {"seconds": round(outcome.elapsed, 1), "rounds": outcome.rounds}
        busy = still_busy(outcome.value)
        busy_arns = {ci["containerInstanceArn"] for ci in busy}
        reverted, revert_refused = [], {}
        if busy and self.p["revert_on_timeout"]:
            # Only instances this call set DRAINING go back to ACTIVE: one that was DRAINING before the call
            # was drained by someone else, and one that drained in time stays drained for its caller.
            reverted, revert_refused = self._set_status([ci for ci in busy if ci["containerInstanceArn"] in drained_by_call], "ACTIVE")
        outcomes = drain_outcomes(arns, busy_arns, drained_by_call, reverted, dict(failed, **revert_refused))
        latest = {ci["containerInstanceArn"]: ci for ci in outcome.value}
        for arn in reverted:
            latest[arn] = dict(latest[arn], status="ACTIVE")
        self._record_drain([latest.get(ci["containerInstanceArn"], ci) for ci in targets], outcomes)
        if busy:
            self._timed_out(busy, outcome.value, reverted, revert_refused)
        if failed:
            self._refused("DRAINING", failed, timed_out=False, **self._drain_extras(outcome.value))

    def _record_drain(self, instances, outcomes):
        self.drain = {"outcomes": outcomes, "by_managed_instance_id": outcomes_by_managed_instance(instances, outcomes)}

    def _drain_extras(self, instances):
        return dict(outcomes=self.drain["outcomes"], by_managed_instance_id=self.drain["by_managed_instance_id"], waited=self.waited,
                    container_instances=self._rows([self._shape(ci) for ci in instances]))

    def _timed_out(self, busy, instances, reverted, revert_refused):
        standalone = self._standalone_tasks(busy[:STANDALONE_LOOKUPS])
        if reverted:
            left = (f"{name_some(reverted)} (set DRAINING by this task) were set back to ACTIVE (revert_on_timeout); "
                    "any other is left DRAINING.")
        elif self.p["revert_on_timeout"]:
            left = "None of them was set DRAINING by this task, so none was set back to ACTIVE; they are left DRAINING."
        else:
            left = "They are left DRAINING; re-run to keep waiting, or set revert_on_timeout: true to undo."
        if revert_refused:
            left += " ECS refused to set ACTIVE on " + name_some(f"{arn} ({reason})" for arn, reason in revert_refused.items()) + "."
        raise FleetError(f"Timed out after {self.p['wait_timeout']}s waiting for {len(busy)} container instance(s) to drain: "
                         f"{busy_summary(busy, standalone)}. Stop standalone tasks yourself (draining never stops them) "
                         f"or deregister with force: true. {left}",
                         changed=self.changed_status, timed_out=True, standalone_tasks=standalone, **self._drain_extras(instances))

    def _standalone_tasks(self, busy):
        result = {}
        for ci in busy:
            arn = ci["containerInstanceArn"]
            task_arns = _ecs.list_task_arns(self.client, self.cluster, arn)
            _service, standalone = split_tasks(_ecs.describe_tasks(self.client, self.cluster, task_arns)) if task_arns else ([], [])
            if standalone:
                result[arn] = standalone
        return result

    # --- reporting -----------------------------------------------------------------------------------

    def _after(self, targets, planned_attrs):
        if self.check_mode:
            status = TARGET_STATUS.get(self.p["state"])
            return [predict(self._shape(ci), status, *planned_attrs.get(ci["containerInstanceArn"], ({}, []))) for ci in targets]
        if not (self.p["state"] or any(a or d for a, d in planned_attrs.values())):
            return [self._shape(ci) for ci in targets]
        fresh = {ci["containerInstanceArn"]: ci for ci in self._describe([ci["containerInstanceArn"] for ci in targets])}
        after = []
        for ci in targets:
            # A deregistered instance may already have aged out of DescribeContainerInstances.
            latest = fresh.get(ci["containerInstanceArn"]) or dict(ci, status="INACTIVE")
            after.append(self._shape(latest))
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
        result_detail=dict(type="str", choices=["compact", "full"], default="compact"),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True,
                         required_one_of=[["container_instance", "managed_instance_id"]])
    run(module, ContainerInstanceManager)


if __name__ == "__main__":
    main()
