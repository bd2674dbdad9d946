# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find-and-shape helpers shared by modules, roles' modules and the inventory plugin.

Each makes the fewest API calls the service allows and returns the stable snake_case shapes.
"""

from . import _ecs
from . import _ssm
from ._filters import activation_filters
from ._filters import activation_matches
from ._filters import instance_filters
from ._filters import instance_matches
from ._filters import select_by_managed_ids
from ._shaping import shape_activation
from ._shaping import shape_container_instance
from ._shaping import shape_managed_instance
from ._shaping import tags_to_dict


def find_activations(client, activation_ids=None, default_instance_name=None, iam_role=None, tags=None, expired=None):
    """Shaped activations (never with a code) matching every given criterion."""
    raw = _ssm.describe_activations(client, activation_filters(activation_ids, default_instance_name, iam_role))
    shaped = [shape_activation(a) for a in raw]
    return [a for a in shaped if activation_matches(a, activation_ids, default_instance_name, iam_role, tags, expired)]


def find_managed_instances(client, instance_ids=None, ping_status=None, tags=None, computer_name=None, ip_address=None,
                           include_tags=True):
    """Shaped managed instances; pages of 50, plus one ListTagsForResource per match when include_tags."""
    raw = _ssm.describe_instance_information(client, instance_filters(instance_ids, ping_status, tags))
    matched = [r for r in raw if instance_matches(r, instance_ids, ping_status, computer_name, ip_address)]
    shaped = []
    for entry in matched:
        instance_tags = None
        if include_tags or tags:
            instance_tags = tags_to_dict(_ssm.list_instance_tags(client, entry["InstanceId"]))
        # The API filter on tags is repeated here in case the endpoint ignored it.
        if tags and any(instance_tags.get(k) != str(v) for k, v in tags.items()):
            continue
        shaped.append(shape_managed_instance(entry, instance_tags if include_tags else None))
    return shaped


def describe_container_instances_raw(client, cluster, container_instances=None, managed_instance_ids=None, query=None,
                                     status=None, include=("TAGS",)):
    """(raw descriptions, failures). Named instances are described directly; otherwise list then describe.

    Cost: ceil(n/100) ListContainerInstances + ceil(n/100) DescribeContainerInstances calls.
    """
    if container_instances:
        instances, failures = _ecs.describe_container_instances(client, cluster, container_instances, include=include)
    else:
        instances = _ecs.list_and_describe(client, cluster, query=query, status=status, include=include)
        failures = []
    if managed_instance_ids:
        instances = select_by_managed_ids(instances, managed_instance_ids)
    if status and container_instances:
        instances = [ci for ci in instances if ci.get("status") == status]
    return instances, failures


def find_container_instances(client, cluster, container_instances=None, managed_instance_ids=None, query=None, status=None):
    """Shaped container instances (see describe_container_instances_raw for the call cost)."""
    instances, _failures = describe_container_instances_raw(client, cluster, container_instances, managed_instance_ids, query, status)
    return [shape_container_instance(ci) for ci in instances]
