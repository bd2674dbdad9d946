# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource Groups Tagging API: the tags of many SSM managed instances in pages of 100.

SSM itself reads a managed instance's tags one instance per call (ListTagsForResource); GetResources
covers every resource type, ssm:managed-instance included, and returns only resources that carry tags.
"""

from ._batching import TAGGING_PAGE
from ._batching import paginate
from ._errors import handle_errors
from ._shaping import tags_to_dict

MANAGED_INSTANCE_TYPE = "ssm:managed-instance"


# Denied (a policy written before this call was used) is not fatal: the caller reads tags per instance instead.
@handle_errors("read managed instance tags (tag:GetResources)", missing_codes=("AccessDeniedException",))
def region_managed_instance_tags(client):
    """{managed instance id: {key: value}} of every tagged managed instance in the client's region, or None when
    the call is denied. Costs ceil(tagged instances / 100) calls."""
    mappings = paginate(client, "get_resources", "ResourceTagMappingList", "PaginationToken", ResourceTypeFilters=[MANAGED_INSTANCE_TYPE],
                        ResourcesPerPage=TAGGING_PAGE)
    return {m["ResourceARN"].rsplit("/", 1)[-1]: tags_to_dict(m.get("Tags")) for m in mappings}
