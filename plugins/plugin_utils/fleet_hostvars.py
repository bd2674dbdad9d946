# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host variables a joined fleet record becomes: ssm_* from SSM, ecs_* from ECS."""

# Shaped managed-instance key -> host variable. Only what an operator targets or reports on.
SSM_VARS = {
    "instance_id": "ssm_instance_id",
    "name": "ssm_name",
    "ping_status": "ssm_ping_status",
    "last_ping_date_time": "ssm_last_ping_date_time",
    "ip_address": "ssm_ip_address",
    "computer_name": "ssm_computer_name",
    "platform_type": "ssm_platform_type",
    "platform_name": "ssm_platform_name",
    "platform_version": "ssm_platform_version",
    "agent_version": "ssm_agent_running_version",
    "is_latest_version": "ssm_is_latest_version",
    "registration_date": "ssm_registration_date",
    "activation_id": "ssm_activation_id",
    "iam_role": "ssm_iam_role",
}

# Shaped container-instance key -> host variable.
ECS_VARS = {
    "cluster": "ecs_cluster",
    "container_instance_arn": "ecs_container_instance_arn",
    "container_instance_id": "ecs_container_instance_id",
    "status": "ecs_status",
    "status_reason": "ecs_status_reason",
    "agent_connected": "ecs_agent_connected",
    "agent_version": "ecs_agent_running_version",
    "docker_version": "ecs_docker_version",
    "running_tasks_count": "ecs_running_tasks_count",
    "pending_tasks_count": "ecs_pending_tasks_count",
    "registered_cpu": "ecs_registered_cpu",
    "registered_memory": "ecs_registered_memory",
    "remaining_cpu": "ecs_remaining_cpu",
    "remaining_memory": "ecs_remaining_memory",
    "registered_at": "ecs_registered_at",
    "attributes": "ecs_attributes",
    "tags": "ecs_tags",
}

ANSIBLE_HOST_SOURCES = {"ip_address": "ip_address", "computer_name": "computer_name", "instance_id": "instance_id"}


def host_vars(record, ansible_host_from="ip_address"):
    """Flat host variables for one record; ecs_* only when the host has a container instance.

    ssm_tags appears only when tags were read (they cost one call per host, see include_ssm_tags).
    """
    ssm = record["ssm"]
    hostvars = {var: ssm.get(key) for key, var in SSM_VARS.items()}
    hostvars["ssm_region"] = record.get("region")
    if ssm.get("tags") is not None:
        hostvars["ssm_tags"] = ssm["tags"]
    ecs = record.get("ecs")
    if ecs:
        hostvars.update({var: ecs.get(key) for key, var in ECS_VARS.items()})
        hostvars["ecs_duplicate_container_instance_arns"] = list(record.get("ecs_others") or [])
    source = ANSIBLE_HOST_SOURCES.get(ansible_host_from)
    if source and ssm.get(source):
        hostvars["ansible_host"] = ssm[source]
    return hostvars
