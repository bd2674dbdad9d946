# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The default groups of the fleet inventory, named so that they are valid Ansible group names."""

import re

_INVALID = re.compile(r"[^a-z0-9_]+")
_GROUP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

AGENT_DISCONNECTED = "ecs_agent_disconnected"
NOT_IN_ECS = "not_in_ecs"
DUPLICATE_REGISTRATION = "ecs_duplicate_registration"


def sanitize(name):
    """Lower case, runs of anything but [a-z0-9_] become one '_', never starts with a digit.

    Cluster names may hold '-' and upper case; group names with them trigger Ansible warnings and
    cannot be used in patterns like `cluster_a:&ecs_status_active` without quoting.
    """
    cleaned = _INVALID.sub("_", str(name).lower()).strip("_")
    if not cleaned or cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned


def default_groups(hostvars):
    """Group names for one host from its ssm_* / ecs_* host variables (see fleet_hostvars)."""
    groups = []
    ping = hostvars.get("ssm_ping_status")
    if ping:
        groups.append(sanitize(f"ssm_ping_{ping}"))
    if "ecs_cluster" not in hostvars:
        groups.append(sanitize(NOT_IN_ECS))
        return groups
    groups.append(sanitize(f"ecs_cluster_{hostvars['ecs_cluster']}"))
    if hostvars.get("ecs_status"):
        groups.append(sanitize(f"ecs_status_{hostvars['ecs_status']}"))
    if not hostvars.get("ecs_agent_connected"):
        groups.append(sanitize(AGENT_DISCONNECTED))
    if hostvars.get("ecs_duplicate_container_instance_arns"):
        groups.append(sanitize(DUPLICATE_REGISTRATION))
    return groups


def is_enrolled(hostvars):
    """Enrolled in ECS Anywhere: the host has a container instance in one of the inventory's clusters."""
    return "ecs_cluster" in hostvars


def enrolled_group_problem(name):
    """What is wrong with the enrolled_group option, or None ('' turns the group off)."""
    if name == "" or _GROUP_NAME.match(str(name)):
        return None
    return (f"enrolled_group must be a group name (letters, digits and _, not starting with a digit) or '' to leave the group out, "
            f"got {name!r}; the playbooks target ecs_anywhere by default")
