# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure transforms from API responses to the stable snake_case shapes modules return."""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ._timeparse import isoformat


def tags_to_dict(tag_list, key="Key", value="Value"):
    """[{'Key': k, 'Value': v}] -> {k: v}; tolerates None."""
    return {tag[key]: tag.get(value, "") for tag in (tag_list or [])}


def dict_to_tags(tags, key="Key", value="Value"):
    return [{key: str(k), value: str(v)} for k, v in sorted((tags or {}).items())]


def _dates_to_text(data):
    if isinstance(data, dict):
        return {k: _dates_to_text(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_dates_to_text(v) for v in data]
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


def shape_container_instance(raw):
    """The full description in snake_case plus the convenience keys callers filter on."""
    shaped = _dates_to_text(camel_dict_to_snake_dict(raw, ignore_list=["tags", "attributes"]))
    registered = raw.get("registeredResources")
    remaining = raw.get("remainingResources")
    shaped.update({
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
    })
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


def cluster_settings_to_dict(settings):
    return {s["name"]: s.get("value") for s in (settings or [])}


def shape_cluster(raw):
    shaped = _dates_to_text(camel_dict_to_snake_dict(raw, ignore_list=["tags", "settings"]))
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
