#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ssm_activation_info
version_added: 0.1.0
short_description: List SSM hybrid activations
description:
  - Lists AWS Systems Manager hybrid activations, the credentials on-premises servers use to
    register as managed instances before they join ECS Anywhere.
  - Activation codes are never returned; AWS returns a code only once, when the activation is created.
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  activation_ids:
    description:
      - Only these activations.
    type: list
    elements: str
  default_instance_name:
    description:
      - Only activations with this default instance name.
    type: str
  iam_role:
    description:
      - Only activations that assign this IAM service role.
    type: str
  tags:
    description:
      - Only activations carrying all of these tags with these values.
    type: dict
  expired:
    description:
      - V(true) lists only expired activations, V(false) only unexpired ones; unset lists both.
    type: bool
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.NO_DIFF
"""

EXAMPLES = r"""
- name: List unexpired activations made for the edge fleet
  hybridfleet.ecs_anywhere.ssm_activation_info:
    default_instance_name: edge
    expired: false
  register: edge_activations

- name: Find activations by tag
  hybridfleet.ecs_anywhere.ssm_activation_info:
    tags:
      purpose: ecs-anywhere
"""

RETURN = r"""
activations:
  description: The matching activations. Never contains a code.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Activation id.
      type: str
      sample: 8b5a3b8e-3f0e-4c1e-9a53-5e0c7e3b2a11
    description:
      description: Description given at creation.
      type: str
    default_instance_name:
      description: Name given to instances registered with it.
      type: str
    iam_role:
      description: IAM service role the registered instances assume.
      type: str
    registration_limit:
      description: Maximum number of instances it can register.
      type: int
    registrations_count:
      description: Instances registered with it so far.
      type: int
    expiration_date:
      description: When it expires (ISO-8601).
      type: str
    expired:
      description: Whether it has expired.
      type: bool
    created_date:
      description: When it was created (ISO-8601).
      type: str
    tags:
      description: Its tags.
      type: dict
"""

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_activations


class ActivationInfo:
    def __init__(self, module):
        self.module = module
        self.client = module.client("ssm")

    def run(self):
        p = self.module.params
        found = find_activations(self.client, p["activation_ids"], p["default_instance_name"], p["iam_role"], p["tags"], p["expired"])
        return {"changed": False, "activations": found}


def main():
    argument_spec = dict(
        activation_ids=dict(type="list", elements="str"),
        default_instance_name=dict(type="str"),
        iam_role=dict(type="str"),
        tags=dict(type="dict"),
        expired=dict(type="bool"),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, ActivationInfo)


if __name__ == "__main__":
    main()
