# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Joining SSM managed instances with ECS container instances into one record per host.

Pure: takes API responses, returns plain data that the inventory caches and turns into hosts.
"""

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import preferred_first
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_container_instance
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_managed_instance


def index_container_instances(cluster_instances):
    """{managed instance id: [shaped container instances, preferred first]} from {cluster: [raw descriptions]}."""
    index = {}
    for cluster, raw_instances in cluster_instances.items():
        for raw in raw_instances:
            shaped = shape_container_instance(raw)
            managed_id = shaped.get("managed_instance_id")
            if not managed_id:
                continue
            shaped["cluster"] = cluster
            index.setdefault(managed_id, []).append(shaped)
    return {managed_id: preferred_first(candidates) for managed_id, candidates in index.items()}


def join_fleet(region, managed_instances, cluster_instances, instance_tags=None):
    """One record per managed instance: {'region', 'ssm', 'ecs' (or None), 'ecs_others'}.

    managed_instances: raw DescribeInstanceInformation entries; cluster_instances: {cluster: raw
    DescribeContainerInstances entries}; instance_tags: optional {instance id: {key: value}}.
    Container instances whose managed instance is not in `managed_instances` (filtered out, or
    deregistered from SSM) are left out: the inventory lists hosts SSM knows about.
    """
    index = index_container_instances(cluster_instances)
    records = []
    for raw in managed_instances:
        instance_id = raw.get("InstanceId")
        tags = (instance_tags or {}).get(instance_id)
        candidates = index.get(instance_id, [])
        records.append({
            "region": region,
            "ssm": shape_managed_instance(raw, tags),
            "ecs": candidates[0] if candidates else None,
            "ecs_others": [c["container_instance_arn"] for c in candidates[1:]],
        })
    return records
