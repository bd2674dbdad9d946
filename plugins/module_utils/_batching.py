# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Splitting work into the batch sizes the AWS APIs accept, and following nextToken pages."""

# Service limits (per call).
ECS_LIST_PAGE = 100            # ListContainerInstances maxResults
ECS_DESCRIBE_BATCH = 100       # DescribeContainerInstances / DescribeTasks containerInstances / tasks
ECS_STATE_BATCH = 10           # UpdateContainerInstancesState containerInstances
ECS_ATTRIBUTE_BATCH = 10       # PutAttributes / DeleteAttributes attributes
SSM_INSTANCE_PAGE = 50         # DescribeInstanceInformation MaxResults
SSM_ACTIVATION_PAGE = 50       # DescribeActivations MaxResults


def chunks(items, size):
    """Consecutive lists of at most `size` items, order kept."""
    if size < 1:
        raise ValueError("size must be at least 1")
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def unique(items):
    """Items without duplicates, first occurrence order kept."""
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


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
