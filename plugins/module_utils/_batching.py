# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS's per-call limits, in one place, and the helpers that split work to fit them.

Every number below is AWS's documented limit. Where botocore's service model carries it as a
min/max, LIMITS names the shape so tests/unit/plugins/module_utils/test_limits.py can check the two
agree; the others come from the API reference text (named in the comment).
"""

from collections import namedtuple

from ._retry import fleet_retry

# --- ECS ---------------------------------------------------------------------------------------------
ECS_LIST_PAGE = 100                # ListContainerInstances maxResults: 1-100 (API reference)
ECS_DESCRIBE_BATCH = 100           # DescribeContainerInstances containerInstances: "up to 100" (API reference)
ECS_TASK_PAGE = 100                # ListTasks maxResults: 1-100 (API reference)
ECS_TASK_DESCRIBE_BATCH = 100      # DescribeTasks tasks: "up to 100" (API reference)
ECS_CLUSTER_PAGE = 100             # ListClusters maxResults: 1-100 (API reference)
ECS_STATE_BATCH = 10               # UpdateContainerInstancesState containerInstances: "up to 10" (API reference)
ECS_ATTRIBUTE_BATCH = 10           # PutAttributes / DeleteAttributes attributes: "up to 10 ... in a single call"
ECS_ATTRIBUTES_PER_RESOURCE = 10   # PutAttributes: "up to 10 custom attributes for each resource"
ECS_ATTRIBUTE_NAME_LENGTH = 128    # Attribute name: "between 1 and 128 characters"
ECS_ATTRIBUTE_VALUE_LENGTH = 128   # Attribute value: "between 1 and 128 characters"
# Cluster query language expressions: 2,000 characters is the one length AWS documents for the
# language (PlacementConstraint.expression); ListContainerInstances' filter is held to it too.
ECS_QUERY_LENGTH = 2000
ECS_TAGS_PER_RESOURCE = 50         # TagResource tags: max 50 (model), "Maximum number of tags per resource - 50"
ECS_TAG_KEY_LENGTH = 128           # Tag key: 1-128 (model)
ECS_TAG_VALUE_LENGTH = 256         # Tag value: 0-256 (model)

# --- SSM ---------------------------------------------------------------------------------------------
SSM_INSTANCE_PAGE = 50             # DescribeInstanceInformation MaxResults: 5-50 (model)
SSM_FILTER_VALUES = 100            # DescribeInstanceInformation Filters[].Values: 1-100 (model)
SSM_ACTIVATION_PAGE = 50           # DescribeActivations MaxResults: 1-50 (model)
# DescribeActivations FilterValues documents no bound; held to SSM's 100 values per filter above
# rather than sending an unbounded list.
SSM_ACTIVATION_FILTER_VALUES = 100
TAGGING_PAGE = 100                 # Resource Groups Tagging API GetResources ResourcesPerPage: 1-100 (model)
SSM_TAGS_PER_RESOURCE = 50         # AddTagsToResource: "Most resources can have a maximum of 50 tags"
SSM_TAG_KEY_LENGTH = 128           # Tag Key: 1-128 (model)
SSM_TAG_VALUE_LENGTH = 256         # Tag Value: 0-256 (model)
SSM_REGISTRATION_LIMIT = 1000      # CreateActivation RegistrationLimit: 1-1000 (model)
SSM_DESCRIPTION_LENGTH = 256       # CreateActivation Description: 0-256 (model)
SSM_DEFAULT_INSTANCE_NAME_LENGTH = 256  # CreateActivation DefaultInstanceName: 0-256 (model)

Limit = namedtuple("Limit", "value service operation shape bound")

# Limits botocore's model carries: (service, operation, member path, 'min' or 'max').
# The member path walks structure members; "[]" steps into a list's member.
LIMITS = {
    "SSM_INSTANCE_PAGE": Limit(SSM_INSTANCE_PAGE, "ssm", "DescribeInstanceInformation", "MaxResults", "max"),
    "SSM_FILTER_VALUES": Limit(SSM_FILTER_VALUES, "ssm", "DescribeInstanceInformation", "Filters[].Values", "max"),
    "SSM_ACTIVATION_PAGE": Limit(SSM_ACTIVATION_PAGE, "ssm", "DescribeActivations", "MaxResults", "max"),
    "SSM_TAG_KEY_LENGTH": Limit(SSM_TAG_KEY_LENGTH, "ssm", "AddTagsToResource", "Tags[].Key", "max"),
    "SSM_TAG_VALUE_LENGTH": Limit(SSM_TAG_VALUE_LENGTH, "ssm", "AddTagsToResource", "Tags[].Value", "max"),
    "SSM_REGISTRATION_LIMIT": Limit(SSM_REGISTRATION_LIMIT, "ssm", "CreateActivation", "RegistrationLimit", "max"),
    "SSM_DESCRIPTION_LENGTH": Limit(SSM_DESCRIPTION_LENGTH, "ssm", "CreateActivation", "Description", "max"),
    "SSM_DEFAULT_INSTANCE_NAME_LENGTH": Limit(SSM_DEFAULT_INSTANCE_NAME_LENGTH, "ssm", "CreateActivation", "DefaultInstanceName", "max"),
    "ECS_TAGS_PER_RESOURCE": Limit(ECS_TAGS_PER_RESOURCE, "ecs", "TagResource", "tags", "max"),
    "ECS_TAG_KEY_LENGTH": Limit(ECS_TAG_KEY_LENGTH, "ecs", "TagResource", "tags[].key", "max"),
    "ECS_TAG_VALUE_LENGTH": Limit(ECS_TAG_VALUE_LENGTH, "ecs", "TagResource", "tags[].value", "max"),
}

# Limits only the API reference states: (service, operation, member the text is on ("" for the operation's
# own text), the phrase it uses). botocore carries that text, so the test finds the phrase there.
DOCUMENTED_ONLY = {
    "SSM_TAGS_PER_RESOURCE": Limit(SSM_TAGS_PER_RESOURCE, "ssm", "AddTagsToResource", "", "maximum of 50 tags"),
    "ECS_LIST_PAGE": Limit(ECS_LIST_PAGE, "ecs", "ListContainerInstances", "maxResults", "1 and 100"),
    "ECS_DESCRIBE_BATCH": Limit(ECS_DESCRIBE_BATCH, "ecs", "DescribeContainerInstances", "containerInstances", "up to 100"),
    "ECS_TASK_PAGE": Limit(ECS_TASK_PAGE, "ecs", "ListTasks", "maxResults", "1 and 100"),
    "ECS_TASK_DESCRIBE_BATCH": Limit(ECS_TASK_DESCRIBE_BATCH, "ecs", "DescribeTasks", "tasks", "up to 100"),
    "ECS_CLUSTER_PAGE": Limit(ECS_CLUSTER_PAGE, "ecs", "ListClusters", "maxResults", "1 and 100"),
    "ECS_STATE_BATCH": Limit(ECS_STATE_BATCH, "ecs", "UpdateContainerInstancesState", "containerInstances", "up to 10"),
    "ECS_ATTRIBUTE_BATCH": Limit(ECS_ATTRIBUTE_BATCH, "ecs", "PutAttributes", "attributes", "up to 10 attributes in a single call"),
    "ECS_ATTRIBUTES_PER_RESOURCE": Limit(ECS_ATTRIBUTES_PER_RESOURCE, "ecs", "PutAttributes", "attributes",
                                         "up to 10 custom attributes for each resource"),
    "ECS_ATTRIBUTE_NAME_LENGTH": Limit(ECS_ATTRIBUTE_NAME_LENGTH, "ecs", "PutAttributes", "attributes[].name", "between 1 and 128 characters"),
    "ECS_ATTRIBUTE_VALUE_LENGTH": Limit(ECS_ATTRIBUTE_VALUE_LENGTH, "ecs", "PutAttributes", "attributes[].value", "between 1 and 128 characters"),
    "ECS_QUERY_LENGTH": Limit(ECS_QUERY_LENGTH, "ecs", "CreateService", "placementConstraints[].expression", "maximum length of 2000 characters"),
    "TAGGING_PAGE": Limit(TAGGING_PAGE, "resourcegroupstaggingapi", "GetResources", "ResourcesPerPage", "maximum value of 100"),
}


def chunks(items, size):
    """Consecutive lists of at most `size` items, order kept."""
    if size < 1:
        raise ValueError("size must be at least 1")
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def chunks_by_length(items, render, max_length, max_items=None):
    """Consecutive lists of items whose render(list) stays within max_length characters (and max_items).

    For query-language expressions, whose limit is a length, not a count. An item too long to fit on its
    own raises ValueError: no chunk could carry it.
    """
    result, current = [], []
    for item in items:
        candidate = current + [item]
        if len(render(candidate)) <= max_length and (max_items is None or len(candidate) <= max_items):
            current = candidate
            continue
        if not current:
            raise ValueError(f"{item!r} alone makes an expression longer than {max_length} characters")
        result.append(current)
        current = [item]
        if len(render(current)) > max_length:
            raise ValueError(f"{item!r} alone makes an expression longer than {max_length} characters")
    if current:
        result.append(current)
    return result


def split_filters(filters, size, key="Key", values="Values"):
    """Lists of filters in which no filter holds more than `size` values: one list per combination of chunks.

    AWS ANDs filters, so a filter with 250 values becomes three calls, each carrying one chunk of it and
    the other filters whole; results must be joined by the caller.
    """
    combinations = [[]]
    for item in filters or []:
        parts = [dict(item, **{values: chunk}) for chunk in chunks(item[values], size)] or [item]
        combinations = [combo + [part] for combo in combinations for part in parts]
    return combinations


def unique(items):
    """Items without duplicates, first occurrence order kept."""
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def paginate(client, operation, result_key, token_key="NextToken", **params):
    """Every `result_key` item of all the pages of `operation`. Each page is one call retried on its own (fleet_retry), so
    throttling on page 40 does not list the first 39 again. Parameters that are None, empty lists or empty strings are
    left out, as AWS wants an absent filter rather than an empty one."""
    call = fleet_retry(getattr(client, operation))
    params = {k: v for k, v in params.items() if v is not None and v != [] and v != ""}
    return follow_pages(lambda token: call(**dict(params, **({token_key: token} if token else {}))), result_key, token_key)


def follow_pages(fetch_page, result_key, token_key="nextToken"):
    """Collect `result_key` from every page; fetch_page(token) gets None for the first page."""
    items = []
    token = None
    while True:
        page = fetch_page(token)
        items.extend(page.get(result_key, []))
        token = page.get(token_key)
        if not token:
            return items
