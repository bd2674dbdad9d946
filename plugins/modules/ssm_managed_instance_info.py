#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ssm_managed_instance_info
version_added: 0.1.0
short_description: List SSM managed instances of a hybrid fleet
description:
  - Lists AWS Systems Manager managed instances (C(mi-) ids for on-premises servers) with their
    agent ping status, agent version, address and registration details.
  - Reads DescribeInstanceInformation in pages of 50 (the API maximum), with at most 100 ids per filter
    (more ids make more calls); O(computer_name) and O(ip_address) are matched on the results since the
    API cannot filter on them.
  - AWS refuses tag filters combined with other filters, so with O(instance_ids) or O(activation_ids) the
    tags are checked on the results instead (one ListTagsForResource call per instance found).
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  instance_ids:
    description:
      - Only these managed instances.
    type: list
    elements: str
  activation_ids:
    description:
      - Only instances registered with these activations (SSM's C(ActivationIds) filter), for example to find what one
        enrollment run's activation registered without listing the account.
    type: list
    elements: str
  ping_status:
    description:
      - Only instances whose agent has this ping status.
    type: str
    choices: [Online, ConnectionLost, Inactive]
  tags:
    description:
      - Only instances carrying all of these tags with these values.
    type: dict
  computer_name:
    description:
      - Only instances whose host name matches; shell-style wildcards such as V(edge-*) work.
    type: str
  ip_address:
    description:
      - Only the instance with this IP address.
    type: str
  include_tags:
    description:
      - Return each instance's tags.
      - Listing the whole region (no O(instance_ids), O(activation_ids), O(ping_status) or O(tags)), the tags of every
        tagged managed instance come from the Resource Groups Tagging API, 100 per C(tag:GetResources) call. Otherwise
        each instance found costs one C(ssm:ListTagsForResource) call, which is cheaper for the few instances such a
        filter finds. Where C(tag:GetResources) is denied, the module warns and reads the tags one instance at a time.
      - The Resource Groups Tagging API is eventually consistent, so a tag set moments before may not show yet in a whole-region
        listing; look the instance up by O(instance_ids) to read its tags as SSM holds them now.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.NO_DIFF
"""

EXAMPLES = r"""
- name: Which edge servers have lost their SSM connection?
  hybridfleet.ecs_anywhere.ssm_managed_instance_info:
    ping_status: ConnectionLost
    computer_name: "edge-*"
  register: lost

- name: Look up one server
  hybridfleet.ecs_anywhere.ssm_managed_instance_info:
    instance_ids:
      - mi-0123456789abcdef0

- name: What did this run's activation register?
  hybridfleet.ecs_anywhere.ssm_managed_instance_info:
    activation_ids:
      - "{{ activation.activation.id }}"
    include_tags: false
"""

RETURN = r"""
instances:
  description: The matching managed instances.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: Managed instance id.
      type: str
      sample: mi-0123456789abcdef0
    ping_status:
      description: Agent connection status (V(Online), V(ConnectionLost), V(Inactive)).
      type: str
    last_ping_date_time:
      description: Last agent heartbeat (ISO-8601).
      type: str
    agent_version:
      description: SSM agent version.
      type: str
    is_latest_version:
      description: Whether the agent is the latest version.
      type: bool
    ip_address:
      description: IP address reported by the agent.
      type: str
    computer_name:
      description: Host name reported by the agent.
      type: str
    name:
      description: Instance name (the activation's default instance name).
      type: str
    platform_type:
      description: Platform type such as V(Linux).
      type: str
    platform_name:
      description: OS name.
      type: str
    platform_version:
      description: OS version.
      type: str
    resource_type:
      description: V(ManagedInstance) for hybrid servers.
      type: str
    registration_date:
      description: When it registered (ISO-8601).
      type: str
    activation_id:
      description: Activation it registered with.
      type: str
    iam_role:
      description: IAM service role it assumes.
      type: str
    source_id:
      description: Source id, if any.
      type: str
    source_type:
      description: Source type, if any.
      type: str
    tags:
      description: Its tags; V(null) when O(include_tags=false).
      type: dict
"""

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_managed_instances


class ManagedInstanceInfo:
    def __init__(self, module):
        self.module = module
        self.client = module.client("ssm")

    def run(self):
        p = self.module.params
        found = find_managed_instances(self.client, p["instance_ids"], p["ping_status"], p["tags"], p["computer_name"],
                                       p["ip_address"], p["include_tags"], p["activation_ids"],
                                       tags_client=self.module.client("resourcegroupstaggingapi"), warn=self.module.warn)
        return {"changed": False, "instances": found}


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str"),
        activation_ids=dict(type="list", elements="str"),
        ping_status=dict(type="str", choices=["Online", "ConnectionLost", "Inactive"]),
        tags=dict(type="dict"),
        computer_name=dict(type="str"),
        ip_address=dict(type="str"),
        include_tags=dict(type="bool", default=True),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, ManagedInstanceInfo)


if __name__ == "__main__":
    main()
