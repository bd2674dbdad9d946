# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure transforms from API responses to the stable snake_case shapes modules return."""

import functools

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ._timeparse import isoformat
from ._user_input import normalize_tags

# When one managed instance has several container instances (RegisterContainerInstance is not
# idempotent, and a host moved between clusters leaves its old registration behind), the one most
# likely to be running its agent describes the host: ACTIVE first, then the newest registration.
_STATUS_RANK = {"ACTIVE": 0, "DRAINING": 1, "REGISTERING": 2, "DEREGISTERING": 3, "REGISTRATION_FAILED": 4, "INACTIVE": 5}


def tags_to_dict(tag_list, key="Key", value="Value"):
    """[{'Key': k, 'Value': v}] -> {k: v}; tolerates None."""
    return {tag[key]: tag.get(value, "") for tag in (tag_list or [])}


def dict_to_tags(tags, key="Key", value="Value"):
    """{k: v} -> [{'Key': k, 'Value': v}]; values are stored as _user_input.normalize_tags spells them."""
    return [{key: k, value: v} for k, v in sorted(normalize_tags(tags).items())]


def _dates_to_text(data):
    if isinstance(data, dict):
        return {k: _dates_to_text(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_dates_to_text(v) for v in data]
    return isoformat(data)


@functools.lru_cache(maxsize=None)
def _snake(key):
    """One key as camel_dict_to_snake_dict spells it. Responses repeat a few dozen keys over thousands of records
    (5,000 container instances: 305,000 conversions, 8 s of regular expressions in the fleet inventory)."""
    return next(iter(camel_dict_to_snake_dict({key: None})))


def _snake_text(data, keep=()):
    """_dates_to_text(camel_dict_to_snake_dict(data, ignore_list=keep)) in one pass, each key converted once per
    process: below the top-level keys in `keep`, key names stay as AWS sends them (tags are case-sensitive)."""
    if isinstance(data, dict):
        return {_snake(k): (_dates_to_text(v) if k in keep else _snake_text(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_snake_text(v) for v in data]
    return isoformat(data)


def shape_activation(raw, code=None):
    """An activation as returned by ssm_activation(_info). The code appears only when given (creation)."""
    shaped = {
        "id": raw.get("ActivationId"),
        "description": raw.get("Description"),
        "default_instance_name": raw.get("DefaultInstanceName"),
        "iam_role": raw.get("IamRole"),
        "registration_limit": raw.get("RegistrationLimit"),
        "registrations_count": raw.get("RegistrationsCount", 0),
        "expiration_date": isoformat(raw.get("ExpirationDate")),
        "expired": bool(raw.get("Expired", False)),
        "created_date": isoformat(raw.get("CreatedDate")),
        "tags": tags_to_dict(raw.get("Tags")),
    }
    if code is not None:
        shaped["code"] = code
    return shaped


def shape_managed_instance(raw, tags=None):
    """A DescribeInstanceInformation entry as returned by ssm_managed_instance(_info)."""
    return {
        "instance_id": raw.get("InstanceId"),
        "ping_status": raw.get("PingStatus"),
        "last_ping_date_time": isoformat(raw.get("LastPingDateTime")),
        "agent_version": raw.get("AgentVersion"),
        "is_latest_version": raw.get("IsLatestVersion"),
        "ip_address": raw.get("IPAddress"),
        "computer_name": raw.get("ComputerName"),
        "name": raw.get("Name"),
        "platform_type": raw.get("PlatformType"),
        "platform_name": raw.get("PlatformName"),
        "platform_version": raw.get("PlatformVersion"),
        "resource_type": raw.get("ResourceType"),
        "registration_date": isoformat(raw.get("RegistrationDate")),
        "activation_id": raw.get("ActivationId"),
        "iam_role": raw.get("IamRole"),
        "source_id": raw.get("SourceId"),
        "source_type": raw.get("SourceType"),
        "tags": tags,
    }


def container_instance_id(arn_or_id):
    """The trailing id of a container instance ARN (old and new ARN formats); ids pass through."""
    return str(arn_or_id).rsplit("/", 1)[-1]


def _resource(resources, name):
    for resource in resources or []:
        if resource.get("name") == name:
            if resource.get("type") == "STRINGSET":
                return resource.get("stringSetValue", [])
            return resource.get("integerValue")
    return None


def attributes_to_dict(attributes):
    """ECS attributes list -> {name: value}; valueless attributes map to None."""
    return {attr["name"]: attr.get("value") for attr in (attributes or [])}


def cluster_identity(cluster, container_instance_arn=None):
    """(cluster name, cluster ARN) from the cluster a call named and, for a name, the instance's ARN.

    Container instance ARNs name their cluster (arn:...:container-instance/CLUSTER/ID), so the cluster ARN
    is known without a DescribeClusters call; None when neither gives it (an old-format ARN).
    """
    cluster = cluster or ""
    if cluster.startswith("arn:"):
        return cluster.rsplit("/", 1)[-1], cluster
    parts = str(container_instance_arn or "").split(":")
    resource = parts[5].split("/") if len(parts) == 6 else []
    if len(resource) == 3 and resource[0] == "container-instance" and resource[1] in (cluster, ""):
        return cluster or resource[1], ":".join(parts[:5] + ["cluster/" + resource[1]])
    return cluster or None, None


def preferred_first(shaped_instances):
    """Shaped container instances of one managed instance, the one that describes the host first."""
    def key(ci):
        registered = str(ci.get("registered_at") or "")
        # Newest first without parsing dates: ISO-8601 strings order like the times they name.
        return (_STATUS_RANK.get(ci.get("status"), 9), [-ord(c) for c in registered])
    return sorted(shaped_instances, key=key)


def by_managed_instance_id(shaped_instances):
    """{managed instance id: the row that describes it} (see preferred_first); rows without an id are left out."""
    grouped = {}
    for ci in shaped_instances:
        if ci.get("managed_instance_id"):
            grouped.setdefault(ci["managed_instance_id"], []).append(ci)
    return {mid: preferred_first(rows)[0] for mid, rows in grouped.items()}


def container_instance_summary(raw, cluster=None):
    """The convenience keys callers filter on, read straight from a raw description (no snake_case conversion).

    With `cluster` (the name or ARN the call used), they include cluster_name and cluster_arn.
    """
    registered = raw.get("registeredResources")
    remaining = raw.get("remainingResources")
    summary = {
        "container_instance_arn": raw.get("containerInstanceArn"),
        "container_instance_id": container_instance_id(raw.get("containerInstanceArn", "")),
        "managed_instance_id": raw.get("ec2InstanceId"),
        "agent_version": (raw.get("versionInfo") or {}).get("agentVersion"),
        "docker_version": (raw.get("versionInfo") or {}).get("dockerVersion"),
        "agent_connected": bool(raw.get("agentConnected", False)),
        "status": raw.get("status"),
        "running_tasks_count": raw.get("runningTasksCount", 0),
        "pending_tasks_count": raw.get("pendingTasksCount", 0),
        "registered_cpu": _resource(registered, "CPU"),
        "registered_memory": _resource(registered, "MEMORY"),
        "remaining_cpu": _resource(remaining, "CPU"),
        "remaining_memory": _resource(remaining, "MEMORY"),
        "attributes": attributes_to_dict(raw.get("attributes")),
        "tags": tags_to_dict(raw.get("tags"), key="key", value="value"),
    }
    if cluster is not None:
        summary["cluster_name"], summary["cluster_arn"] = cluster_identity(cluster, raw.get("containerInstanceArn"))
    return summary


def shape_container_instance(raw, cluster=None):
    """The full description in snake_case plus the convenience keys of container_instance_summary."""
    shaped = _snake_text(raw, keep=("tags", "attributes"))
    shaped.update(container_instance_summary(raw, cluster))
    return shaped


def container_instance_state(shaped, custom_only=True):
    """The part of a container instance that ecs_container_instance changes, for before/after and diff."""
    attributes = shaped.get("attributes") or {}
    if custom_only:
        attributes = {k: v for k, v in attributes.items() if not k.startswith("ecs.")}
    return {
        "container_instance_arn": shaped.get("container_instance_arn"),
        "managed_instance_id": shaped.get("managed_instance_id"),
        "status": shaped.get("status"),
        "running_tasks_count": shaped.get("running_tasks_count", 0),
        "pending_tasks_count": shaped.get("pending_tasks_count", 0),
        "attributes": attributes,
    }


# The keys of a compact container instance row: what a caller acts on, without the agent's dozens of
# ecs.* attributes and resource lists that make a full description a few kilobytes.
COMPACT_KEYS = ("container_instance_arn", "container_instance_id", "cluster_name", "cluster_arn", "managed_instance_id", "status",
                "agent_connected", "agent_version", "running_tasks_count", "pending_tasks_count")


def compact_container_instance(shaped):
    """A shaped (or summarised) container instance cut to COMPACT_KEYS plus its custom (non ecs.*) attributes."""
    compact = {k: shaped.get(k) for k in COMPACT_KEYS if k in shaped}
    compact["attributes"] = {k: v for k, v in (shaped.get("attributes") or {}).items() if not k.startswith("ecs.")}
    return compact


def cluster_settings_to_dict(settings):
    return {s["name"]: s.get("value") for s in (settings or [])}


def shape_cluster(raw):
    shaped = _snake_text(raw, keep=("tags", "settings"))
    settings = cluster_settings_to_dict(raw.get("settings"))
    shaped.update({
        "cluster_name": raw.get("clusterName"),
        "cluster_arn": raw.get("clusterArn"),
        "status": raw.get("status"),
        "settings": settings,
        "container_insights": settings.get("containerInsights"),
        "tags": tags_to_dict(raw.get("tags"), key="key", value="value"),
    })
    return shaped
