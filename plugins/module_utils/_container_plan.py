# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for ecs_container_instance: which instances change state, which attributes change."""

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
    """(to_put {name: value}, to_delete [names]) to take `current` custom attributes to the wanted ones."""
    current = current or {}
    wanted = {k: (None if v is None else str(v)) for k, v in (wanted or {}).items()}
    validate_attribute_names(list(wanted) + list(remove or []))
    clash = sorted(set(wanted) & set(remove or []))
    if clash:
        raise PlanError(f"attributes {', '.join(clash)} are both in attributes and remove_attributes; keep each in one of them")
    to_put = {k: v for k, v in wanted.items() if k not in current or current[k] != v}
    to_delete = [k for k in (remove or []) if k in current]
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


def status_changes(instances, state):
    """ARNs whose status must change to reach `state`; instances are raw descriptions."""
    if state is None:
        return []
    target = TARGET_STATUS[state]
    return [ci["containerInstanceArn"] for ci in instances if ci.get("status") != target]


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


def busy_summary(busy, standalone_by_instance=None):
    """Readable list of what still runs where, for the timeout message."""
    standalone_by_instance = standalone_by_instance or {}
    parts = []
    for ci in busy:
        arn = ci["containerInstanceArn"]
        text = f"{ci.get('ec2InstanceId') or arn} ({arn}): {ci.get('runningTasksCount', 0)} running, {ci.get('pendingTasksCount', 0)} pending"
        standalone = standalone_by_instance.get(arn)
        if standalone:
            text += f"; standalone tasks draining never stops: {', '.join(standalone)}"
        parts.append(text)
    return "; ".join(parts)
