# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turning module options into API filters, plus the client-side matching the APIs cannot do."""

import fnmatch
import re

from ._user_input import normalize_tags

_MANAGED_ID = re.compile(r"^mi-[0-9a-f]{8,32}$")


def is_managed_instance_id(value):
    return bool(_MANAGED_ID.match(str(value)))


def activation_filters(activation_ids=None, default_instance_name=None, iam_role=None):
    """DescribeActivations Filters for what the API can filter on (ids, default name, role)."""
    filters = []
    if activation_ids:
        filters.append({"FilterKey": "ActivationIds", "FilterValues": list(activation_ids)})
    if default_instance_name:
        filters.append({"FilterKey": "DefaultInstanceName", "FilterValues": [default_instance_name]})
    if iam_role:
        filters.append({"FilterKey": "IamRole", "FilterValues": [iam_role]})
    return filters


def tags_match(actual, wanted):
    """True when every wanted tag is present with the same value (wanted values as AWS stores them)."""
    actual = actual or {}
    return all(k in actual and actual[k] == v for k, v in normalize_tags(wanted).items())


def activation_matches(shaped, activation_ids=None, default_instance_name=None, iam_role=None, tags=None, expired=None):
    """Client-side check of a shaped activation; repeats the server filters so an API that ignores them stays correct."""
    if activation_ids and shaped["id"] not in activation_ids:
        return False
    if default_instance_name and shaped.get("default_instance_name") != default_instance_name:
        return False
    if iam_role and shaped.get("iam_role") != iam_role:
        return False
    if expired is not None and shaped.get("expired") != expired:
        return False
    return tags_match(shaped.get("tags"), tags)


def instance_filters(instance_ids=None, ping_status=None, tags=None, activation_ids=None):
    """DescribeInstanceInformation Filters; computer name and IP are matched client side (no API filter).

    AWS refuses tag filters combined with any other filter type. With ids to look up, the ids go to the
    API and tags are checked on the results; otherwise the tags go to the API and the ping status is
    checked on the results (instance_matches repeats every criterion).
    """
    filters = []
    if instance_ids:
        filters.append({"Key": "InstanceIds", "Values": list(instance_ids)})
    if activation_ids:
        filters.append({"Key": "ActivationIds", "Values": list(activation_ids)})
    if ping_status:
        filters.append({"Key": "PingStatus", "Values": [ping_status] if isinstance(ping_status, str) else list(ping_status)})
    tag_filters = [{"Key": f"tag:{key}", "Values": [value]} for key, value in sorted(normalize_tags(tags).items())]
    if not tag_filters:
        return filters
    if instance_ids or activation_ids:
        return filters
    return tag_filters


def instance_matches(raw, instance_ids=None, ping_status=None, computer_name=None, ip_address=None, activation_ids=None):
    """Client-side check of a DescribeInstanceInformation entry; computer_name takes shell-style wildcards."""
    if instance_ids and raw.get("InstanceId") not in instance_ids:
        return False
    if activation_ids and raw.get("ActivationId") not in activation_ids:
        return False
    if ping_status and raw.get("PingStatus") not in ([ping_status] if isinstance(ping_status, str) else ping_status):
        return False
    if computer_name and not fnmatch.fnmatchcase(raw.get("ComputerName") or "", computer_name):
        return False
    if ip_address and raw.get("IPAddress") != ip_address:
        return False
    return True


def select_by_managed_ids(instances, managed_instance_ids):
    """Container instances (raw) whose ec2InstanceId is one of the wanted mi- ids."""
    wanted = set(managed_instance_ids or [])
    return [ci for ci in instances if ci.get("ec2InstanceId") in wanted]


def missing_ids(wanted, found):
    """Wanted ids not in found, order kept."""
    found = set(found)
    return [w for w in wanted if w not in found]
