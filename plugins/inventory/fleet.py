# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: fleet
short_description: The ECS Anywhere fleet as an inventory, from SSM and ECS
version_added: 0.1.0
description:
  - Lists the on-premises servers registered as SSM managed instances (C(mi-) ids, resource type C(ManagedInstance)),
    joined with their ECS container instances in the configured O(clusters) by managed instance id.
  - Every host gets C(ssm_*) variables from Systems Manager and, when it has a container instance in one of the
    O(clusters), C(ecs_*) variables from ECS.
  - Every host with a container instance in one of the O(clusters) is in the group O(enrolled_group) (V(ecs_anywhere) unless
    set otherwise), the group the collection's playbooks target by default.
  - Default groups (O(default_groups)) - C(ecs_cluster_<cluster>), C(ecs_status_<status>), C(ssm_ping_<status>),
    C(ecs_agent_disconnected), C(not_in_ecs) (registered in SSM but without a container instance in the O(clusters)) and
    C(ecs_duplicate_registration) (more than one container instance for one managed instance). Names are lower case with
    every other character than letters, digits and C(_) replaced by C(_).
  - "API calls scale with pages, not hosts: per region, one C(DescribeInstanceInformation) call per 50 managed instances and,
    per cluster, one C(ListContainerInstances) and one C(DescribeContainerInstances) call per 100 container instances."
  - The inventory file must end with C(fleet.yml) or C(fleet.yaml), for example C(production.fleet.yml).
author:
  - hybridfleet maintainers (@hybridfleet)
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
options:
  plugin:
    description: The name of this plugin; it identifies the file as a fleet inventory.
    required: true
    type: str
    choices: [hybridfleet.ecs_anywhere.fleet]
  regions:
    description:
      - The regions to read the fleet from.
      - When empty, the single region of O(region) (or the E(AWS_REGION) environment variable, or the profile) is used;
        managed instances are regional, so no region is guessed.
    type: list
    elements: str
    default: []
  clusters:
    description:
      - The ECS clusters (names or ARNs) whose container instances are joined to the managed instances.
      - Every cluster must exist in every region in O(regions); an unknown cluster is an error, not an empty result.
    type: list
    elements: str
    required: true
  ping_status:
    description:
      - Only managed instances with one of these SSM ping statuses. Empty means all.
    type: list
    elements: str
    choices: [Online, ConnectionLost, Inactive]
    default: []
  tag_filters:
    description:
      - Only managed instances with all of these SSM tags (key and value), filtered by the API.
    type: dict
    default: {}
  include_ssm_tags:
    description:
      - Read each managed instance's SSM tags into C(ssm_tags).
      - Without O(ping_status) and O(tag_filters), the region's tagged managed instances come from the Resource Groups
        Tagging API, 100 per C(tag:GetResources) call; with them, one C(ssm:ListTagsForResource) per host found (cheaper
        for the few hosts a filter finds), as also where C(tag:GetResources) is denied (with a warning).
        O(tag_filters) works without this option.
    type: bool
    default: false
  hostnames:
    description:
      - The host name sources, in order of preference. The first one a host has a value for names it.
      - The managed instance id is always the last resort, so every host gets a name.
      - When a name is already taken by another host (computer names and private addresses repeat across sites), that host
        falls back to its next preference, with a warning, rather than being merged into the other host.
    type: list
    elements: str
    choices: [computer_name, ip_address, instance_id, name]
    default: [computer_name, instance_id]
  ansible_host_from:
    description:
      - Which reported value becomes C(ansible_host). V(ip_address) is the address the SSM agent reports.
      - V(none) leaves C(ansible_host) unset (the host name is used to connect); O(compose) can set it from any variable.
    type: str
    choices: [ip_address, computer_name, instance_id, none]
    default: ip_address
  default_groups:
    description: Whether to create the default groups listed in the description.
    type: bool
    default: true
  enrolled_group:
    description:
      - The group every enrolled host joins, that is every host with a container instance in one of the O(clusters)
        (the hosts of all C(ecs_cluster_<cluster>) groups together).
      - The collection's playbooks target V(ecs_anywhere) by default (C(ecs_anywhere_hosts)), so with the default they run on
        the live fleet as listed here. Hosts registered in SSM only (C(not_in_ecs)) are not in it.
      - Created whatever O(default_groups) says; V('') leaves it out.
    type: str
    default: ecs_anywhere
notes:
  - Host variables - C(ssm_instance_id), C(ssm_name), C(ssm_ping_status), C(ssm_last_ping_date_time), C(ssm_ip_address),
    C(ssm_computer_name), C(ssm_platform_type), C(ssm_platform_name), C(ssm_platform_version), C(ssm_agent_running_version),
    C(ssm_is_latest_version), C(ssm_registration_date), C(ssm_activation_id), C(ssm_iam_role), C(ssm_region),
    C(ssm_tags) (with O(include_ssm_tags)).
  - For hosts with a container instance - C(ecs_cluster), C(ecs_container_instance_arn), C(ecs_container_instance_id),
    C(ecs_status), C(ecs_status_reason), C(ecs_agent_connected), C(ecs_agent_running_version), C(ecs_docker_version),
    C(ecs_running_tasks_count), C(ecs_pending_tasks_count), C(ecs_registered_cpu), C(ecs_registered_memory),
    C(ecs_remaining_cpu), C(ecs_remaining_memory), C(ecs_registered_at), C(ecs_attributes), C(ecs_tags),
    C(ecs_duplicate_container_instance_arns).
  - If no credentials are given, boto3's usual chain is used (environment, profile, instance role).
"""

EXAMPLES = r"""
# production.fleet.yml - every host of two clusters, named by computer name
plugin: hybridfleet.ecs_anywhere.fleet
regions: [eu-west-1]
clusters: [edge-prod, edge-canary]

---
# Only hosts whose SSM agent is online, tagged site=lyon; groups by ECS agent version; cached for 10 minutes
plugin: hybridfleet.ecs_anywhere.fleet
regions: [eu-west-1]
clusters: [edge-prod]
ping_status: [Online]
tag_filters:
  site: lyon
hostnames: [computer_name, ip_address]
keyed_groups:
  - key: ecs_agent_running_version
    prefix: ecs_agent
groups:
  behind_agent: ecs_agent_running_version is defined and ecs_agent_running_version is version('1.106.0', '<')
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible/fleet
cache_timeout: 600

---
# Connect through SSM Session Manager instead of SSH
plugin: hybridfleet.ecs_anywhere.fleet
regions: [us-east-1]
clusters: [hybrid-cluster]
hostnames: [instance_id]
ansible_host_from: instance_id
compose:
  ansible_connection: '"community.aws.aws_ssm"'
"""

import os

from collections.abc import Mapping

try:
    import botocore.exceptions
except ImportError:
    pass  # AWSInventoryBase.parse reports the missing library

from ansible.errors import AnsibleParserError

from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import botocore_config
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import security_token_fallback
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ecs import list_and_describe
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import REGION_PATTERN
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetAWSError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import error_code
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import managed_instance_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm import describe_instance_information
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_groups import default_groups
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_groups import enrolled_group_problem
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_groups import is_enrolled
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_hostnames import assign_hostnames
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_hostvars import host_vars
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_join import join_fleet
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_options import entry_matches
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_options import regions_to_query
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_options import ssm_filters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_options import unknown_options

NO_CREDENTIALS = ("no AWS credentials found: set access_key and secret_key (or profile) in the inventory file, "
                  "or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) environment variables")


class InventoryModule(AWSInventoryBase):
    NAME = "hybridfleet.ecs_anywhere.fleet"
    INVENTORY_FILE_SUFFIXES = ("fleet.yml", "fleet.yaml")

    def _read_config_data(self, path):
        # Checked before Ansible reads the options: it ignores unknown keys, and a misspelt required one
        # (`cluster:`) would otherwise be reported only as the required option being missing.
        try:
            raw = self.loader.load_from_file(path, cache="none")
        except Exception:  # pylint: disable=broad-except
            raw = None  # the base class reports unreadable files
        if isinstance(raw, Mapping) and raw.get("plugin") == self.NAME:
            problem = unknown_options(raw, self.option_definitions)
            if problem:
                raise AnsibleParserError(f"{self.NAME}: {path}: {problem}")
        return super()._read_config_data(path)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        problem = enrolled_group_problem(self.get_option("enrolled_group"))
        if problem:
            self._do_fail(problem)
        found, records = self.get_cached_result(path, cache)
        if not found:
            records = self._query()
        self._populate(records)
        self.update_cached_result(path, cache, records)

    def get_option(self, option, hostvars=None):
        # amazon.aws 10 templates list options with templar.template(disable_lookups=...), which ansible-core
        # 2.19 reports as deprecated on every run; `regions` is the one list read here, so template it plainly.
        if option == "regions":
            value = super(AWSInventoryBase, self).get_option(option, hostvars)
            return self.templar.template(value) if value and self.templar else value
        return super().get_option(option, hostvars)

    def _do_fail(self, message):
        raise AnsibleParserError(f"{self.NAME}: {message}")

    # --- reading the fleet -----------------------------------------------------------------------------

    def _query(self):
        regions = regions_to_query(self.get_option("regions"), self.region)
        if not regions:
            self.fail_aws("no region configured: set regions in the inventory file, or the AWS_REGION environment variable")
        for region in regions:
            # A typo (us-east1) would otherwise surface as a connection or server error naming no region.
            if not REGION_PATTERN.match(region):
                self.fail_aws(f"'{region}' in regions is not an AWS region name such as us-east-1 or eu-central-1; fix regions in the inventory file")
        records = []
        for region in regions:
            records.extend(self._query_region(region))
        return records

    def _client(self, service, region):
        extra = {"config": botocore_config()}
        options = {"session_token": self.get_option("session_token"), "profile": self.get_option("profile")}
        token = security_token_fallback(options, os.environ)
        if token:
            extra["aws_session_token"] = token
        return self.client(service, region=region, **extra)

    def _query_region(self, region):
        ssm = self._client("ssm", region)
        ecs = self._client("ecs", region)
        ping_status = self.get_option("ping_status")
        filters = ssm_filters(ping_status, self.get_option("tag_filters"))
        managed = self._aws(region, "SSM", describe_instance_information, ssm, filters)
        # The API filtered already; checking again keeps an endpoint that ignores filters from adding EC2 instances.
        managed = [entry for entry in managed if entry_matches(entry, ping_status)]
        cluster_instances = {}
        for cluster in self.get_option("clusters"):
            cluster_instances[cluster] = self._aws(region, f"cluster {cluster!r}", list_and_describe, ecs, cluster)
        tags = None
        if self.get_option("include_ssm_tags"):
            tagging = self._client("resourcegroupstaggingapi", region)
            # Without ping status or tag filters the listing was every managed instance of the region.
            whole_region = not ping_status and not self.get_option("tag_filters")
            tags = self._aws(region, "SSM tags", managed_instance_tags, ssm, [e["InstanceId"] for e in managed], tagging,
                             whole_region, lambda message: self.warn(f"{self.NAME}: {message}"))
        return join_fleet(region, managed, cluster_instances, tags)

    def _aws(self, region, what, call, *args):
        """Run one module_utils wrapper; its errors become inventory errors naming the region and the resource."""
        try:
            return call(*args)
        except FleetAWSError as e:
            if isinstance(e.exception, botocore.exceptions.NoCredentialsError):
                self.fail_aws(NO_CREDENTIALS)
            if error_code(e.exception) == "ClusterNotFoundException":
                self.fail_aws(f"{what} does not exist in region {region}: fix clusters in the inventory file or create the cluster")
            self.fail_aws(f"{what} in region {region}: {e.message}", exception=e.exception)

    # --- building the inventory ------------------------------------------------------------------------

    def _populate(self, records):
        enrolled_group = self.get_option("enrolled_group")
        if enrolled_group:
            # Present even when nothing is enrolled, so a playbook run says it matched no host of it.
            self.inventory.add_group(enrolled_group)
        named, collisions = assign_hostnames(records, self.get_option("hostnames"))
        for message in collisions:
            self.warn(f"{self.NAME}: {message}")
        strict = self.get_option("strict")
        with_default_groups = self.get_option("default_groups")
        ansible_host_from = self.get_option("ansible_host_from")
        for name, record in named:
            hostvars = host_vars(record, ansible_host_from)
            self.inventory.add_host(name)
            for key, value in hostvars.items():
                self.inventory.set_variable(name, key, value)
            if enrolled_group and is_enrolled(hostvars):
                self.inventory.add_child(enrolled_group, name)
            if with_default_groups:
                for group in default_groups(hostvars):
                    self.inventory.add_group(group)
                    self.inventory.add_child(group, name)
            self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, name, strict=strict)
