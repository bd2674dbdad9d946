#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_container_instance_info
version_added: 0.1.0
short_description: Describe the container instances of an ECS cluster
description:
  - Lists and describes the container instances of an ECS cluster, such as ECS Anywhere servers,
    with convenience keys for the managed instance id, agent version and connection, task counts,
    registered and remaining CPU and memory, attributes and tags.
  - Uses the fewest calls the API allows, ListContainerInstances in pages of 100 and
    DescribeContainerInstances in batches of 100, never one call per instance.
  - With O(managed_instance_ids), ECS itself selects the instances with the cluster query language
    (C(ec2InstanceId in [...]), 90 ids per expression to stay within ECS's 2,000-character limit)
    instead of the whole cluster being listed. Draining 100 hosts of a 5,000-host cluster costs
    two ListContainerInstances calls and one DescribeContainerInstances call.
  - With O(any_cluster=true), every cluster of the region is searched for the O(managed_instance_ids), at the
    cost of one ListClusters call per 100 clusters, then the same per cluster.
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  cluster:
    description:
      - Name or ARN of the cluster. Required unless O(any_cluster=true).
      - An ARN from another region or account than the task's is refused before any call (the account is
        read with STS GetCallerIdentity, which needs no IAM permission).
    type: str
  any_cluster:
    description:
      - Search every cluster of the region for the O(managed_instance_ids) instead of one O(cluster).
      - Needs O(managed_instance_ids); cannot be combined with O(cluster) or O(container_instances).
      - Use it to find out which cluster a host is registered in before acting on it.
    type: bool
    default: false
  filter:
    description:
      - A cluster query language expression, for example V(attribute:ecs.os-type == linux) or
        V(agentConnected == false).
    type: str
  status:
    description:
      - Only container instances with this status. Unset means every status except V(INACTIVE).
    type: str
    choices: [ACTIVE, DRAINING, REGISTERING, DEREGISTERING, REGISTRATION_FAILED]
  container_instances:
    description:
      - Describe only these container instances (ARNs or ids). Skips listing.
    type: list
    elements: str
  managed_instance_ids:
    description:
      - Only the container instances of these managed instances (C(mi-) ids; ECS shows them as C(ec2InstanceId)).
      - An id found in no searched cluster is simply absent from the result.
    type: list
    elements: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.NO_DIFF
"""

EXAMPLES = r"""
- name: Every Linux server in the cluster
  hybridfleet.ecs_anywhere.ecs_container_instance_info:
    cluster: hybrid-cluster
    filter: "attribute:ecs.os-type == linux"
  register: fleet

- name: Servers whose agent is disconnected
  ansible.builtin.debug:
    msg: "{{ fleet.container_instances | rejectattr('agent_connected') | map(attribute='managed_instance_id') }}"

- name: The container instance of one server
  hybridfleet.ecs_anywhere.ecs_container_instance_info:
    cluster: hybrid-cluster
    managed_instance_ids:
      - mi-0123456789abcdef0

- name: Which cluster is each of these servers registered in?
  hybridfleet.ecs_anywhere.ecs_container_instance_info:
    any_cluster: true
    managed_instance_ids: "{{ groups['retiring'] | map('extract', hostvars, 'ssm_managed_instance_id') | list }}"
  register: where

- name: Refuse servers that are registered in another cluster
  ansible.builtin.assert:
    that: where.by_managed_instance_id[item].cluster_name == 'hybrid-cluster'
    fail_msg: "{{ item }} is registered in {{ where.by_managed_instance_id[item].cluster_name }}"
  loop: "{{ where.by_managed_instance_id | list }}"
"""

RETURN = r"""
container_instances:
  description:
    - The matching container instances. Each holds the full DescribeContainerInstances description in
      snake_case plus the keys below.
  returned: always
  type: list
  elements: dict
  contains:
    container_instance_arn:
      description: Container instance ARN.
      type: str
    container_instance_id:
      description: The id part of the ARN.
      type: str
    cluster_name:
      description: Name of the cluster the instance is registered in.
      type: str
    cluster_arn:
      description: ARN of that cluster (V(null) only for a container instance ARN of the old format, which does not name it).
      type: str
    managed_instance_id:
      description: The SSM managed instance id (C(ec2InstanceId) in ECS).
      type: str
      sample: mi-0123456789abcdef0
    agent_version:
      description: ECS agent version.
      type: str
    docker_version:
      description: Docker version reported by the agent.
      type: str
    agent_connected:
      description: Whether the ECS agent is connected.
      type: bool
    status:
      description: V(ACTIVE), V(DRAINING), V(INACTIVE) and so on.
      type: str
    running_tasks_count:
      description: Tasks running.
      type: int
    pending_tasks_count:
      description: Tasks pending.
      type: int
    registered_cpu:
      description: CPU units registered.
      type: int
    registered_memory:
      description: Memory (MiB) registered.
      type: int
    remaining_cpu:
      description: CPU units not reserved by tasks.
      type: int
    remaining_memory:
      description: Memory (MiB) not reserved by tasks.
      type: int
    attributes:
      description: Attributes as a dict of name to value (V(null) for valueless attributes).
      type: dict
    tags:
      description: Tags.
      type: dict
by_managed_instance_id:
  description:
    - The rows of RV(container_instances) keyed by managed instance id (same keys as those rows).
    - When one managed instance has several container instances (a host re-registered, or registered in two
      clusters), the row is the one describing the host best, V(ACTIVE) before V(DRAINING) and other statuses,
      then the newest registration. Every one of them is in RV(container_instances).
    - A managed instance id found in no searched cluster is absent.
  returned: always
  type: dict
  sample: {"mi-0123456789abcdef0": {"cluster_name": "hybrid-cluster", "status": "ACTIVE", "running_tasks_count": 2}}
failures:
  description: Requested O(container_instances) that ECS could not describe (arn, reason, detail).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import ECS_QUERY_LENGTH
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_arn_location
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_managed_instance_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetAWSError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import error_code
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import describe_container_instances_raw
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_in_clusters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import by_managed_instance_id
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_container_instance


class ContainerInstanceInfo:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.client = module.client("ecs")

    def run(self):
        p = self.p
        check_managed_instance_ids(p["managed_instance_ids"], "managed_instance_ids")
        if p["filter"] and len(p["filter"]) > ECS_QUERY_LENGTH:
            raise FleetError(f"filter is {len(p['filter'])} characters long; ECS accepts cluster query language expressions of at most "
                             f"{ECS_QUERY_LENGTH}. Shorten it, or select the instances with managed_instance_ids.")
        if p["any_cluster"]:
            if not p["managed_instance_ids"] or p["cluster"] or p["container_instances"]:
                raise FleetError("any_cluster: true searches every cluster of the region for managed_instance_ids: give those, "
                                 "and neither cluster nor container_instances (leave any_cluster unset to look in one cluster).")
            found = self._query(lambda: find_in_clusters(self.client, p["managed_instance_ids"], query=p["filter"], status=p["status"]))
            rows = [shape_container_instance(ci, cluster) for cluster, instances in found.items() for ci in instances]
            failures = []
        else:
            if p["cluster"] is None:
                raise FleetError("cluster is required (or any_cluster: true with managed_instance_ids to search every cluster of the region).")
            check_cluster(p["cluster"])
            for option, values in (("cluster", [p["cluster"]]), ("container_instances", p["container_instances"])):
                check_arn_location(values, self.module.region, self.module.caller_account, option)
            instances, failures = self._query(lambda: describe_container_instances_raw(
                self.client, p["cluster"], container_instances=p["container_instances"], managed_instance_ids=p["managed_instance_ids"],
                query=p["filter"], status=p["status"]))
            rows = [shape_container_instance(ci, p["cluster"]) for ci in instances]
        return {
            "changed": False,
            "container_instances": rows,
            "by_managed_instance_id": by_managed_instance_id(rows),
            "failures": [camel_dict_to_snake_dict(f) for f in failures],
        }

    def _query(self, call):
        p = self.p
        try:
            return call()
        except ValueError as e:
            # Raised while chunking: the filter leaves no room for even one managed instance id.
            raise FleetError(f"filter is too long to combine with managed_instance_ids within ECS's {ECS_QUERY_LENGTH}-character limit "
                             f"({e}); shorten it.") from e
        except FleetAWSError as e:
            # ECS refuses a malformed expression with a generic InvalidParameterException; name the culprit and the fix.
            if p["filter"] and not p["container_instances"] and error_code(e.exception) == "InvalidParameterException":
                raise FleetError(f"ECS refused the filter expression '{p['filter']}': {str(e.exception).rsplit(': ', 1)[-1]} "
                                 "Fix it using the cluster query language (for example attribute:ecs.os-type == linux, "
                                 "see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html), "
                                 "or leave filter unset.") from e
            raise


def main():
    argument_spec = dict(
        cluster=dict(type="str"),
        any_cluster=dict(type="bool", default=False),
        filter=dict(type="str"),
        status=dict(type="str", choices=["ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"]),
        container_instances=dict(type="list", elements="str"),
        managed_instance_ids=dict(type="list", elements="str"),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, ContainerInstanceInfo)


if __name__ == "__main__":
    main()
