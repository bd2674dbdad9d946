# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Task definitions as requested and as ECS returns them, in one comparable form.

ECS fills in what a request left out (cpu 0, essential true, empty lists, each port mapping's protocol and,
in host mode, its host port) and keeps list order as given. Comparing a request with the latest ACTIVE
revision field by field would then find a difference on every run and register a new revision each time;
both sides are normalised first, so a new revision is registered only when the definition really differs.
"""

import json

from ._errors import FleetError

# The task-level fields that make up a revision; everything else ECS returns (ARN, revision, status,
# registeredAt, compatibilities...) describes the revision rather than defining it.
DEFINING_FIELDS = ("family", "containerDefinitions", "networkMode", "requiresCompatibilities", "taskRoleArn",
                   "executionRoleArn", "cpu", "memory", "volumes", "placementConstraints", "pidMode", "ipcMode",
                   "runtimePlatform")
# Lists of objects whose order means something (a later environment file overrides an earlier one).
ORDERED_LISTS = ("environmentFiles",)
# What ECS supports on external instances: no ENIs, so no awsvpc.
EXTERNAL_NETWORK_MODES = ("bridge", "host", "none")


def request(params):
    """The RegisterTaskDefinition request for the module's options (without tags)."""
    wanted = {
        "family": params["family"],
        "containerDefinitions": params["container_definitions"],
        "networkMode": params["network_mode"],
        "requiresCompatibilities": params["requires_compatibilities"],
        "taskRoleArn": params.get("task_role_arn"),
        "executionRoleArn": params.get("execution_role_arn"),
        # ECS takes and returns task-level cpu and memory as strings ("256", "512").
        "cpu": None if params.get("cpu") is None else str(params["cpu"]),
        "memory": None if params.get("memory") is None else str(params["memory"]),
        "volumes": params.get("volumes"),
        "placementConstraints": params.get("placement_constraints"),
        "pidMode": params.get("pid_mode"),
        "ipcMode": params.get("ipc_mode"),
        "runtimePlatform": params.get("runtime_platform"),
    }
    return {k: v for k, v in wanted.items() if v not in (None, [], {}) or k == "containerDefinitions"}


def check_request(wanted):
    """Refuse, before any call, what ECS would refuse or silently misread."""
    family = wanted["family"]
    if "EXTERNAL" in wanted["requiresCompatibilities"] and wanted["networkMode"] not in EXTERNAL_NETWORK_MODES:
        raise FleetError(f"network_mode {wanted['networkMode']} is not available to EXTERNAL tasks: external instances have no "
                         "elastic network interfaces, which awsvpc gives each task. Use bridge (port mappings), host or none. "
                         "Nothing was changed.")
    if not wanted["containerDefinitions"]:
        raise FleetError(f"container_definitions of {family} is empty; give at least one container (name and image). Nothing was changed.")
    task_memory = "memory" in wanted
    for number, container in enumerate(wanted["containerDefinitions"], 1):
        if not isinstance(container, dict):
            raise FleetError(f"container_definitions item {number} of {family} must be a dict, got {type(container).__name__}. Nothing was changed.")
        name = container.get("name") or f"item {number}"
        snake = sorted(k for k in container if "_" in k)
        if snake:
            raise FleetError(f"container {name} of {family}: {', '.join(snake)} is not an ECS field; container_definitions take the ECS API's "
                             f"names as RegisterTaskDefinition does (e.g. {_camel(snake[0])}). Nothing was changed.")
        missing = [k for k in ("name", "image") if not container.get(k)]
        if missing:
            raise FleetError(f"container {name} of {family} has no {' and no '.join(missing)}. Nothing was changed.")
        if not (task_memory or container.get("memory") or container.get("memoryReservation")):
            raise FleetError(f"container {name} of {family} needs memory or memoryReservation (MiB), or the task a memory: ECS refuses "
                             "EXTERNAL and EC2 definitions without one. Nothing was changed.")


def comparable(definition):
    """The defining fields of a requested or returned definition, in one form: ECS's defaults made explicit
    (then dropped with everything empty), lists of objects sorted, numbers given as strings where ECS says so."""
    mode = definition.get("networkMode") or "bridge"
    result = {}
    for field in DEFINING_FIELDS:
        value = definition.get(field)
        if field == "containerDefinitions":
            value = [_container(c, mode) for c in value or []]
        elif field in ("cpu", "memory") and value is not None:
            value = str(value)
        elif field == "requiresCompatibilities":
            value = sorted(value or [])
        result[field] = value
    result["networkMode"] = mode
    return _pruned(result)


def differences(current, wanted):
    """Names of the defining fields that differ between two comparable() definitions."""
    return sorted(k for k in set(current) | set(wanted) if current.get(k) != wanted.get(k))


def _container(container, mode):
    container = dict(container)
    if container.get("essential", True) is True:
        container.pop("essential", None)  # ECS's default; `essential: false` is kept
    if container.get("cpu") == 0:
        container.pop("cpu")
    mappings = []
    for mapping in container.get("portMappings") or []:
        mapping = dict(mapping)
        if mapping.get("protocol") == "tcp":
            mapping.pop("protocol")
        # hostPort 0 (bridge: any free port) is the same as none; in host mode it is always the container port.
        if mapping.get("hostPort") == 0 or (mode == "host" and mapping.get("hostPort") == mapping.get("containerPort")):
            mapping.pop("hostPort", None)
        mappings.append(mapping)
    container["portMappings"] = mappings
    return container


def _pruned(value, key=None):
    """Empty values dropped (ECS returns empty lists for what was never set) and so is `false`, every flag's default
    but essential's; lists of objects sorted."""
    if isinstance(value, dict):
        pruned = {k: _pruned(v, k) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if not (v in (None, [], {}, "") or (v is False and k != "essential"))}
    if isinstance(value, list):
        items = [_pruned(v) for v in value]
        if key not in ORDERED_LISTS and items and all(isinstance(v, dict) for v in items):
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return items
    return value


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
