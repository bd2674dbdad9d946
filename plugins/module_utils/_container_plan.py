# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for ecs_container_instance: which instances change state, which attributes change."""

from ._errors import NAMED_IN_MESSAGES
from ._user_input import attribute_value
from ._user_input import check_attributes
from ._waiting import is_service_task

# Target state option -> ECS status it ends in.
TARGET_STATUS = {"active": "ACTIVE", "draining": "DRAINING", "deregistered": "INACTIVE"}


class PlanError(ValueError):
    pass


def validate_attribute_names(names):
    reserved = sorted(n for n in names if str(n).startswith("ecs."))
    if reserved:
        raise PlanError(f"attributes {', '.join(reserved)} are set by the ECS agent (ecs.*) and cannot be changed; "
                        "use custom attribute names")


def attribute_changes(current, wanted=None, remove=None):
    """(to_put {name: value}, to_delete [names]) to take `current` custom attributes to the wanted ones.

    Values are stored as _user_input.attribute_value spells them (true, not True); names, values and the
    custom attribute count afterwards are checked against ECS's rules.
    """
    current = current or {}
    wanted = {str(k): attribute_value(k, v) for k, v in (wanted or {}).items()}
    validate_attribute_names(list(wanted) + list(remove or []))
    clash = sorted(set(wanted) & set(remove or []))
    if clash:
        raise PlanError(f"attributes {', '.join(clash)} are both in attributes and remove_attributes; keep each in one of them")
    to_put = {k: v for k, v in wanted.items() if k not in current or current[k] != v}
    to_delete = [k for k in (remove or []) if k in current]
    after = (set(current) | set(to_put)) - set(to_delete)
    check_attributes(wanted, list(wanted) + list(remove or []), len(after))
    return to_put, to_delete


def attribute_requests(arn, names_values):
    """PutAttributes/DeleteAttributes entries aimed at one container instance."""
    entries = []
    for name, value in names_values:
        entry = {"name": name, "targetType": "container-instance", "targetId": arn}
        if value is not None:
            entry["value"] = value
        entries.append(entry)
    return entries


def predict(state, status=None, to_put=None, to_delete=None):
    """The before/after state dict after applying a status change and attribute changes."""
    after = dict(state, attributes=dict(state.get("attributes") or {}))
    if status:
        after["status"] = status
    after["attributes"].update(to_put or {})
    for name in to_delete or []:
        after["attributes"].pop(name, None)
    return after


def split_tasks(tasks):
    """(service task ARNs, standalone task ARNs): draining stops only the former."""
    service, standalone = [], []
    for task in tasks:
        (service if is_service_task(task) else standalone).append(task["taskArn"])
    return service, standalone


def busy_summary(busy, standalone_by_instance=None, limit=NAMED_IN_MESSAGES):
    """Readable list of what still runs where, for the timeout message: the first `limit` instances, then a count."""
    standalone_by_instance = standalone_by_instance or {}
    parts = []
    for ci in busy[:limit]:
        arn = ci["containerInstanceArn"]
        text = f"{ci.get('ec2InstanceId') or arn} ({arn}): {ci.get('runningTasksCount', 0)} running, {ci.get('pendingTasksCount', 0)} pending"
        standalone = standalone_by_instance.get(arn)
        if standalone:
            text += f"; standalone tasks draining never stops: {', '.join(standalone)}"
        parts.append(text)
    if len(busy) > limit:
        parts.append(f"and {len(busy) - limit} more instance(s)")
    return "; ".join(parts)


# What a drain did to each instance (ecs_container_instance's `outcomes`).
DRAINED, TIMED_OUT, REVERTED, FAILED, UNCHANGED = "drained", "timed_out", "reverted", "failed", "unchanged"


def drain_outcomes(arns, busy_arns=(), drained_by_call=(), reverted=(), failed=(), waited=True):
    """{arn: outcome} after a drain wait.

    busy_arns: still running tasks at the end; drained_by_call: set DRAINING by this call; reverted: set back
    to ACTIVE (only ever ones this call drained); failed: ECS refused their state change. Without a wait
    (check mode), nothing was changed or learned: unchanged.
    """
    outcomes = {}
    for arn in arns:
        if arn in failed:
            outcomes[arn] = FAILED
        elif not waited:
            outcomes[arn] = UNCHANGED
        elif arn in reverted:
            outcomes[arn] = REVERTED
        elif arn in busy_arns:
            outcomes[arn] = TIMED_OUT
        else:
            outcomes[arn] = DRAINED
    return outcomes


def outcomes_by_managed_instance(instances, outcomes):
    """{mi-id: {container_instance_arn, outcome, running_tasks_count, status}} from raw descriptions."""
    result = {}
    for ci in instances:
        arn = ci["containerInstanceArn"]
        if ci.get("ec2InstanceId") and arn in outcomes:
            result[ci["ec2InstanceId"]] = {"container_instance_arn": arn, "outcome": outcomes[arn],
                                           "running_tasks_count": ci.get("runningTasksCount", 0), "status": ci.get("status")}
    return result


def foreign_instances(arns, cluster_name):
    """[(arn, cluster it names)] for container instance ARNs that name another cluster than `cluster_name`."""
    foreign = []
    for arn in arns:
        resource = str(arn).split(":")[5].split("/") if str(arn).count(":") == 5 else []
        if len(resource) == 3 and resource[0] == "container-instance" and resource[1] != cluster_name:
            foreign.append((arn, resource[1]))
    return foreign
