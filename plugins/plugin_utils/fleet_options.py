# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checking a fleet inventory file's options and turning them into API filters."""

import difflib

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import instance_filters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm import MANAGED_INSTANCE


def unknown_options(config, known):
    """A message naming every key of `config` that is not a known option (with a likely meant one), or None.

    Ansible ignores unknown keys in inventory files, so a typo like `cluster:` for `clusters:` would
    silently list every host as not_in_ecs.
    """
    problems = []
    for key in sorted(set(config) - set(known) - {"plugin"}):
        close = difflib.get_close_matches(key, sorted(known), n=1)
        problems.append(f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key))
    if not problems:
        return None
    return "unknown option(s) " + ", ".join(problems) + "; see ansible-doc -t inventory hybridfleet.ecs_anywhere.fleet"


def ssm_filters(ping_status=None, tags=None):
    """DescribeInstanceInformation Filters: on-premises managed instances only, by ping status and tags.

    EC2 instances also appear in DescribeInstanceInformation; ECS Anywhere hosts are the
    ManagedInstance resource type (mi- ids). AWS refuses tag filters combined with other filter types,
    so with tag_filters only the tags go to the API and entry_matches checks the type and ping status.
    """
    if tags:
        return instance_filters(tags=tags)
    filters = [{"Key": "ResourceType", "Values": [MANAGED_INSTANCE]}]
    if ping_status:
        filters.append({"Key": "PingStatus", "Values": list(ping_status)})
    return filters


def regions_to_query(regions, default_region):
    """The regions to read, in order and without repeats; [] when none is configured anywhere."""
    chosen = list(regions or []) or ([default_region] if default_region else [])
    return list(dict.fromkeys(chosen))


def entry_matches(raw, ping_status=None):
    """Client-side check of a DescribeInstanceInformation entry against what ssm_filters asked for."""
    if raw.get("ResourceType") != MANAGED_INSTANCE:
        return False
    return not ping_status or raw.get("PingStatus") in ping_status
