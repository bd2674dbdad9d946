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
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  cluster:
    description:
      - Name or ARN of the cluster.
    type: str
    required: true
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
    type: list
    elements: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
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
failures:
  description: Requested O(container_instances) that ECS could not describe (arn, reason, detail).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetAWSError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import error_code
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import describe_container_instances_raw
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_container_instance


class ContainerInstanceInfo:
    def __init__(self, module):
        self.module = module
        self.client = module.client("ecs")

    def run(self):
        p = self.module.params
        check_cluster(p["cluster"])
        try:
            instances, failures = describe_container_instances_raw(
                self.client, p["cluster"], container_instances=p["container_instances"], managed_instance_ids=p["managed_instance_ids"],
                query=p["filter"], status=p["status"])
        except FleetAWSError as e:
            # ECS refuses a malformed expression with a generic InvalidParameterException; name the culprit and the fix.
            if p["filter"] and not p["container_instances"] and error_code(e.exception) == "InvalidParameterException":
                raise FleetError(f"ECS refused the filter expression '{p['filter']}': {str(e.exception).rsplit(': ', 1)[-1]} "
                                 "Fix it using the cluster query language (for example attribute:ecs.os-type == linux, "
                                 "see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html), "
                                 "or leave filter unset.") from e
            raise
        return {
            "changed": False,
            "container_instances": [shape_container_instance(ci) for ci in instances],
            "failures": [camel_dict_to_snake_dict(f) for f in failures],
        }


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        filter=dict(type="str"),
        status=dict(type="str", choices=["ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"]),
        container_instances=dict(type="list", elements="str"),
        managed_instance_ids=dict(type="list", elements="str"),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, ContainerInstanceInfo)


if __name__ == "__main__":
    main()
