# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find-and-shape helpers shared by the modules (and, for tags, the inventory plugin).

Each makes the fewest API calls the service allows and returns the stable snake_case shapes.
"""

from . import _ecs
from . import _ssm
from . import _tagging
from ._errors import FleetAWSError
from ._errors import error_code
from ._filters import activation_filters
from ._filters import activation_matches
from ._filters import instance_filters
from ._filters import instance_matches
from ._filters import select_by_managed_ids
from ._filters import tags_match
from ._shaping import shape_activation
from ._shaping import shape_container_instance
from ._shaping import shape_managed_instance
from ._shaping import tags_to_dict
from ._user_input import normalize_tags


def find_activations(client, activation_ids=None, default_instance_name=None, iam_role=None, tags=None, expired=None):
    """Shaped activations (never with a code) matching every given criterion."""
    raw = _ssm.describe_activations(client, activation_filters(activation_ids, default_instance_name, iam_role))
    shaped = [shape_activation(a) for a in raw]
    return [a for a in shaped if activation_matches(a, activation_ids, default_instance_name, iam_role, tags, expired)]


def find_managed_instances(client, instance_ids=None, ping_status=None, tags=None, computer_name=None, ip_address=None,
                           include_tags=True, activation_ids=None, tags_client=None, warn=None):
    """Shaped managed instances; pages of 50 (100 ids per filter), plus their tags when include_tags (or `tags`)
    asks (see managed_instance_tags for that cost). `tags_client`: a Resource Groups Tagging API client."""
    tags = normalize_tags(tags)
    filters = instance_filters(instance_ids, ping_status, tags, activation_ids)
    raw = _ssm.describe_instance_information(client, filters)
    matched = [r for r in raw if instance_matches(r, instance_ids, ping_status, computer_name, ip_address, activation_ids)]
    tags_by_id = {}
    if include_tags or tags:
        tags_by_id = managed_instance_tags(client, [r["InstanceId"] for r in matched], tags_client,
                                           whole_region=not filters, warn=warn)
    shaped = []
    for entry in matched:
        instance_tags = tags_by_id.get(entry["InstanceId"])
        # Tags are checked here: the API filter may have been left out (AWS refuses it beside other filters).
        if tags and not tags_match(instance_tags, tags):
            continue
        shaped.append(shape_managed_instance(entry, instance_tags if include_tags else None))
    return shaped


def managed_instance_tags(client, instance_ids, tags_client=None, whole_region=False, warn=None):
    """{id: {key: value}} for these managed instances.

    When they are the whole region's listing, GetResources pages through the region's tagged managed instances:
    ceil(tagged / 100) calls, never more than half the listing took. Otherwise (a few instances picked by id,
    status or tag, in a region that may hold thousands) one ListTagsForResource per instance is the cheaper way.
    """
    if tags_client is not None and whole_region and instance_ids:
        region_tags = _tagging.region_managed_instance_tags(tags_client)
        if region_tags is not None:
            return {instance_id: region_tags.get(instance_id, {}) for instance_id in instance_ids}
        if warn:
            warn("tag:GetResources is denied, so the tags of %d managed instances were read one ListTagsForResource "
                 "call each; allow tag:GetResources (docs/iam-policy.json) to read them 100 per call" % len(instance_ids))
    return {instance_id: tags_to_dict(_ssm.list_instance_tags(client, instance_id)) for instance_id in instance_ids}


def describe_container_instances_raw(client, cluster, container_instances=None, managed_instance_ids=None, query=None,
                                     status=None, include=("TAGS",)):
    """(raw descriptions, failures). Named instances are described directly; managed instance ids are resolved
    with the cluster query language (`ec2InstanceId in [...]`); otherwise the cluster is listed.

    Cost: ceil(n/100) DescribeContainerInstances calls, plus ceil(n/100) ListContainerInstances calls for a
    listing or one per 90 managed instance ids.
    """
    failures = []
    if container_instances:
        instances, failures = _ecs.describe_container_instances(client, cluster, container_instances, include=include)
        if status:
            instances = [ci for ci in instances if ci.get("status") == status]
    elif managed_instance_ids:
        instances = _ecs.describe_by_managed_ids(client, cluster, managed_instance_ids, query=query, status=status, include=include)
    else:
        instances = _ecs.list_and_describe(client, cluster, query=query, status=status, include=include)
    if managed_instance_ids:
        # Repeated on the results, so an endpoint that ignored the expression cannot add other hosts.
        instances = select_by_managed_ids(instances, managed_instance_ids)
    return instances, failures


def find_container_instances(client, cluster, container_instances=None, managed_instance_ids=None, query=None, status=None):
    """Shaped container instances (see describe_container_instances_raw for the call cost)."""
    instances, _failures = describe_container_instances_raw(client, cluster, container_instances, managed_instance_ids, query, status)
    return [shape_container_instance(ci, cluster) for ci in instances]


def find_in_clusters(client, managed_instance_ids, clusters=None, query=None, status=None, include=("TAGS",)):
    """{cluster ARN (or the name given): [raw descriptions]} of the clusters holding container instances of these
    managed instances: every cluster of the region (one ListClusters call per 100 clusters), or `clusters`.

    Cost per cluster: one ListContainerInstances call per 90 ids, one DescribeContainerInstances call per 100 found.
    """
    def fetch(cluster):
        found = _ecs.describe_by_managed_ids(client, cluster, managed_instance_ids, query=query, status=status, include=include)
        return select_by_managed_ids(found, managed_instance_ids)
    return _per_cluster(client, clusters, fetch)


def find_ids_in_clusters(client, container_instances, clusters=None):
    """{cluster: [raw descriptions]} of the clusters where these container instance ids are registered (not INACTIVE)."""
    def fetch(cluster):
        found = _ecs.describe_container_instances(client, cluster, container_instances, include=())[0]
        return [ci for ci in found if ci.get("status") != "INACTIVE"]
    return _per_cluster(client, clusters, fetch)


def _per_cluster(client, clusters, fetch):
    found = {}
    for cluster in clusters or _ecs.list_cluster_arns(client):
        try:
            instances = fetch(cluster)
        except FleetAWSError as e:
            if error_code(e.exception) == "ClusterNotFoundException":
                continue  # deleted since it was listed
            raise
        if instances:
            found[cluster] = instances
    return found
