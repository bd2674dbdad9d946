#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ssm_managed_instance
version_added: 0.1.0
short_description: Tag or deregister an SSM managed instance
description:
  - Manages the tags of an AWS Systems Manager managed instance (an on-premises server with a C(mi-) id),
    or deregisters it.
  - Deregistering is the SSM half of decommissioning a host; deregister its ECS container instance
    first with M(hybridfleet.ecs_anywhere.ecs_container_instance).
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  instance_id:
    description:
      - The managed instance id, such as V(mi-0123456789abcdef0).
    type: str
    required: true
  state:
    description:
      - V(present) requires the instance to be registered and manages its tags.
      - V(absent) deregisters it; an instance that is not registered is left alone (not changed).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - Tags the instance should carry. Unset leaves tags alone.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove tags not listed in O(tags). Ignored when O(tags) is unset. Tags starting with V(aws:) are never removed.
    type: bool
    default: true
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
    support: full
  platform:
    platforms: all
"""

EXAMPLES = r"""
- name: Tag a server with its site
  hybridfleet.ecs_anywhere.ssm_managed_instance:
    instance_id: mi-0123456789abcdef0
    tags:
      site: plant-7
    purge_tags: false

- name: Deregister a decommissioned server
  hybridfleet.ecs_anywhere.ssm_managed_instance:
    instance_id: mi-0123456789abcdef0
    state: absent
"""

RETURN = r"""
instance:
  description:
    - The managed instance after the change (for O(state=absent), as it was before deregistering).
    - V(null) when O(state=absent) and it was not registered.
    - Same keys as the elements of RV(hybridfleet.ecs_anywhere.ssm_managed_instance_info#module:instances).
  returned: always
  type: dict
  sample: {"instance_id": "mi-0123456789abcdef0", "ping_status": "Online", "tags": {"site": "plant-7"}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ssm
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import is_managed_instance_id
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_managed_instances
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import dict_to_tags


class ManagedInstanceManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.instance_id = module.params["instance_id"]
        if not is_managed_instance_id(self.instance_id):
            raise FleetError(f"instance_id must be a managed instance id such as mi-0123456789abcdef0, got '{self.instance_id}'.")
        self.client = module.client("ssm")
        self.diff = DifferenceTracker()

    def run(self):
        found = find_managed_instances(self.client, instance_ids=[self.instance_id])
        current = found[0] if found else None
        result = self.absent(current) if self.params["state"] == "absent" else self.present(current)
        result.update(changed=self.diff.has_changes, diff=self.diff.as_diff())
        return result

    def present(self, current):
        if current is None:
            raise FleetError(f"Managed instance {self.instance_id} is not registered in {self.module.region}; "
                             "register the host with SSM first (role hybridfleet.ecs_anywhere.ssm_agent) or check the region.")
        if self.params["tags"] is None:
            return {"instance": current}
        to_set, to_remove = compare_aws_tags(current["tags"], self.params["tags"], self.params["purge_tags"])
        after_tags = {k: v for k, v in current["tags"].items() if k not in to_remove}
        after_tags.update(to_set)
        self.diff.add("tags", current["tags"], after_tags)
        if not self.module.check_mode:
            if to_remove:
                _ssm.remove_instance_tags(self.client, self.instance_id, to_remove)
            if to_set:
                _ssm.add_instance_tags(self.client, self.instance_id, dict_to_tags(to_set))
        return {"instance": dict(current, tags=after_tags)}

    def absent(self, current):
        if current is None:
            return {"instance": None}
        self.diff.add("registered", True, False)
        if not self.module.check_mode:
            _ssm.deregister_managed_instance(self.client, self.instance_id)
        return {"instance": current}


def main():
    argument_spec = dict(
        instance_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, ManagedInstanceManager)


if __name__ == "__main__":
    main()
