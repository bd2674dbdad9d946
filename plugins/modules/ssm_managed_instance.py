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
    first with M(hybridfleet.ecs_anywhere.ecs_container_instance). With O(state=absent), the module looks for
    container instances of the managed instance that are still registered (in O(ecs_cluster), or in every cluster of
    the region) and warns naming them, since ECS keeps them registered while their agent loses its credentials.
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
  ecs_cluster:
    description:
      - With O(state=absent), the ECS cluster (name or ARN) to check for a container instance of this managed instance that
        is still registered. Unset checks every cluster of the region (one ListClusters call per 100 clusters and one
        ListContainerInstances call per cluster).
      - When ECS cannot be read (for example, no ecs:ListClusters permission), the module warns that it could not check.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.tags
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.STATE
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
ecs_container_instances:
  description:
    - With O(state=absent), the container instances of this managed instance that were still registered (not V(INACTIVE))
      in the checked clusters, each with C(container_instance_arn), C(cluster_name), C(cluster_arn), C(status) and
      C(running_tasks_count) among the compact keys of M(hybridfleet.ecs_anywhere.ecs_container_instance). A warning names them.
  returned: when O(state=absent) and the instance was registered
  type: list
  elements: dict
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
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_arn_location
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetAWSError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import name_some
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import is_managed_instance_id
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_in_clusters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_managed_instances
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import compact_container_instance
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import container_instance_summary
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import dict_to_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import check_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import normalize_tags


class ManagedInstanceManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.instance_id = module.params["instance_id"]
        if not is_managed_instance_id(self.instance_id):
            raise FleetError(f"instance_id must be a managed instance id such as mi-0123456789abcdef0, got '{self.instance_id}'.")
        self.tags = None if self.params["tags"] is None else normalize_tags(self.params["tags"])
        if self.params["ecs_cluster"]:
            check_cluster(self.params["ecs_cluster"], "ecs_cluster")
            check_arn_location([self.params["ecs_cluster"]], module.region, module.caller_account, "ecs_cluster")
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
        if self.tags is None:
            return {"instance": current}
        to_set, to_remove = compare_aws_tags(current["tags"], self.tags, self.params["purge_tags"])
        after_tags = {k: v for k, v in current["tags"].items() if k not in to_remove}
        after_tags.update(to_set)
        check_tags(to_set, "ssm", existing=len(after_tags) - len(to_set))
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
        still_in_ecs = self._registered_in_ecs()
        self.diff.add("registered", True, False)
        if not self.module.check_mode:
            _ssm.deregister_managed_instance(self.client, self.instance_id)
        return {"instance": current, "ecs_container_instances": still_in_ecs}

    def _registered_in_ecs(self):
        """Compact rows of this instance's container instances that ECS still has registered; a warning names them."""
        cluster = self.params["ecs_cluster"]
        try:
            found = find_in_clusters(self.module.client("ecs"), [self.instance_id], clusters=[cluster] if cluster else None, include=())
        except FleetAWSError as e:
            self.module.warn(f"Could not check whether {self.instance_id} still has an ECS container instance ({e.message}); "
                             "make sure it was deregistered with hybridfleet.ecs_anywhere.ecs_container_instance.")
            return []
        rows = [compact_container_instance(container_instance_summary(ci, c)) for c, instances in found.items() for ci in instances]
        if rows:
            self.module.warn(f"{self.instance_id} is deregistered from SSM while ECS still has it registered: "
                             + name_some(f"{r['container_instance_arn']} ({r['status']}, {r['running_tasks_count']} running tasks) in cluster "
                                         f"{r['cluster_name']}" for r in rows)
                             + ". Its ECS agent loses its credentials and ECS keeps the instance registered; deregister it with "
                             "hybridfleet.ecs_anywhere.ecs_container_instance state=deregistered (or run drain_and_deregister), "
                             "and deregister container instances before managed instances next time.")
        return rows


def main():
    argument_spec = dict(
        instance_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        ecs_cluster=dict(type="str"),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, ManagedInstanceManager)


if __name__ == "__main__":
    main()
