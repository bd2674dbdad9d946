# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource Groups Tagging API: the tags of many SSM managed instances in pages of 100.

SSM itself reads a managed instance's tags one instance per call (ListTagsForResource); GetResources
covers every resource type, ssm:managed-instance included, and returns only resources that carry tags.
"""

from ._batching import TAGGING_PAGE
from ._batching import follow_pages
from ._errors import handle_errors
from ._retry import fleet_retry
from ._shaping import tags_to_dict

MANAGED_INSTANCE_TYPE = "ssm:managed-instance"


@fleet_retry
def _resources_page(client, token):
    params = {"ResourceTypeFilters": [MANAGED_INSTANCE_TYPE], "ResourcesPerPage": TAGGING_PAGE}
    if token:
        params["PaginationToken"] = token
    return client.get_resources(**params)


# Denied (a policy written before this call was used) is not fatal: the caller reads tags per instance instead.
@handle_errors("read managed instance tags (tag:GetResources)", missing_codes=("AccessDeniedException",))
def region_managed_instance_tags(client):
    """{managed instance id: {key: value}} of every tagged managed instance in the client's region, or None when
    the call is denied. Costs ceil(tagged instances / 100) calls."""
    mappings = follow_pages(lambda token: _resources_page(client, token), "ResourceTagMappingList", "PaginationToken")
    return {m["ResourceARN"].rsplit("/", 1)[-1]: tags_to_dict(m.get("Tags")) for m in mappings}
