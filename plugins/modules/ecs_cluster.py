#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_cluster
version_added: 0.1.0
short_description: Create, update or delete an ECS cluster with Container Insights and tags
description:
  - Creates or deletes an ECS cluster and keeps its Container Insights setting and tags as given.
  - Unlike M(community.aws.ecs_cluster), sets cluster settings (C(containerInsights)).
  - Waits for a new cluster to become V(ACTIVE).
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  name:
    description:
      - Cluster name.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the cluster, V(absent) deletes it.
      - Deleting fails while container instances are registered, services exist or tasks run; deregister and delete them
        first. The module says so before calling ECS, in check mode too (check mode predicts the failure).
    type: str
    choices: [present, absent]
    default: present
  container_insights:
    description:
      - The C(containerInsights) cluster setting. Unset leaves it alone.
    type: str
    choices: [enabled, disabled, enhanced]
  wait:
    description:
      - Wait for a created cluster to become V(ACTIVE).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for V(ACTIVE).
    type: int
    default: 120
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
- name: The cluster the edge fleet joins
  hybridfleet.ecs_anywhere.ecs_cluster:
    name: hybrid-cluster
    container_insights: enabled
    tags:
      team: platform

- name: Remove it once the fleet is gone
  hybridfleet.ecs_anywhere.ecs_cluster:
    name: hybrid-cluster
    state: absent
"""

RETURN = r"""
cluster:
  description:
    - The cluster (its full description in snake_case plus the keys below); predicted in check mode.
    - V(null) after O(state=absent).
  returned: always
  type: dict
  contains:
    cluster_name:
      description: Name.
      type: str
    cluster_arn:
      description: ARN.
      type: str
    status:
      description: V(ACTIVE), V(PROVISIONING) and so on.
      type: str
    container_insights:
      description: The C(containerInsights) setting.
      type: str
    settings:
      description: All cluster settings as a dict.
      type: dict
    tags:
      description: Tags.
      type: dict
    registered_container_instances_count:
      description: Container instances registered.
      type: int
"""

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ecs
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ecs_tags import apply_ecs_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import dict_to_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import check_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import normalize_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import poll_until

POLL_INTERVAL = 2


class ClusterManager:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.name = check_cluster(module.params["name"], "name", allow_arn=False)
        self.tags = None if module.params["tags"] is None else normalize_tags(module.params["tags"])
        self.client = module.client("ecs")
        self.diff = DifferenceTracker()

    def run(self):
        raw = _ecs.describe_cluster(self.client, self.name)
        current = shape_cluster(raw) if raw else None
        cluster = self.absent(current) if self.p["state"] == "absent" else self.present(current)
        return {"changed": self.diff.has_changes, "cluster": cluster, "diff": self.diff.as_diff()}

    def _settings(self):
        if self.p["container_insights"] is None:
            return []
        return [{"name": "containerInsights", "value": self.p["container_insights"]}]

    def present(self, current):
        if current is None:
            return self.create()
        cluster = current
        wanted_insights = self.p["container_insights"]
        if wanted_insights is not None and current["container_insights"] != wanted_insights:
            self.diff.add("container_insights", current["container_insights"], wanted_insights)
            if self.module.check_mode:
                cluster = dict(cluster, container_insights=wanted_insights)
            else:
                cluster = shape_cluster(_ecs.update_cluster_settings(self.client, self.name, self._settings()))
        tags = apply_ecs_tags(self.module, self.client, current["cluster_arn"], current["tags"], self.tags, self.p["purge_tags"], self.diff)
        return dict(cluster, tags=tags)

    def create(self):
        check_tags(self.tags or {}, "ecs")
        self.diff.add("state", "absent", "present")
        if self.module.check_mode:
            return {"cluster_name": self.name, "cluster_arn": None, "status": "ACTIVE",
                    "container_insights": self.p["container_insights"], "tags": self.tags or {}}
        created = _ecs.create_cluster(self.client, self.name, self._settings(), dict_to_tags(self.tags, key="key", value="value"))
        if not self.p["wait"] or created.get("status") == "ACTIVE":
            return shape_cluster(created)
        outcome = poll_until(lambda: _ecs.describe_cluster(self.client, self.name), lambda c: c is not None and c.get("status") == "ACTIVE",
                             self.p["wait_timeout"], POLL_INTERVAL)
        if not outcome.done:
            status = (outcome.value or {}).get("status")
            raise FleetError(f"Cluster {self.name} was created but is still {status} after {self.p['wait_timeout']}s; "
                             "re-run later or raise wait_timeout.")
        return shape_cluster(outcome.value)

    def absent(self, current):
        if current is None:
            return None
        self._check_deletable(current)
        self.diff.add("state", "present", "absent")
        if not self.module.check_mode:
            _ecs.delete_cluster(self.client, self.name)
        return None

    def _check_deletable(self, current):
        """ECS refuses to delete a cluster that still holds instances, services or tasks: say so first, in check mode too."""
        holds = {
            "registered container instance(s)": (current.get("registered_container_instances_count") or 0,
                                                 "ClusterContainsContainerInstancesException",
                                                 "deregister them first (hybridfleet.ecs_anywhere.ecs_container_instance state=deregistered, "
                                                 "or the drain_and_deregister playbook)"),
            "active service(s)": (current.get("active_services_count") or 0, "ClusterContainsServicesException",
                                  "delete or scale down its services first"),
            "running or pending task(s)": ((current.get("running_tasks_count") or 0) + (current.get("pending_tasks_count") or 0),
                                           "ClusterContainsTasksException", "stop its tasks first"),
        }
        found = [(what, count, code, todo) for what, (count, code, todo) in holds.items() if count]
        if found:
            raise FleetError(f"Cluster {self.name} cannot be deleted: it still has " + ", ".join(f"{count} {what}" for what, count, _c, _t in found) +
                             f" (ECS would answer {found[0][2]}); " + "; ".join(todo for _w, _n, _c, todo in found) + ". Nothing was changed.")


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        container_insights=dict(type="str", choices=["enabled", "disabled", "enhanced"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True)
    run(module, ClusterManager)


if __name__ == "__main__":
    main()
