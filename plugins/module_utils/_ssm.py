# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin SSM API wrappers: retried, batched to service limits, raising FleetAWSError (never fail_json)."""

from ._batching import SSM_ACTIVATION_FILTER_VALUES
from ._batching import SSM_ACTIVATION_PAGE
from ._batching import SSM_FILTER_VALUES
from ._batching import SSM_INSTANCE_PAGE
from ._batching import paginate
from ._batching import split_filters
from ._errors import handle_errors
from ._retry import fleet_retry

MANAGED_INSTANCE = "ManagedInstance"
_MISSING_INSTANCE = ("InvalidInstanceId", "InvalidResourceId")


@handle_errors("create the SSM activation")
@fleet_retry
def create_activation(client, **params):
    """Returns {'ActivationId', 'ActivationCode'}; the code is readable only from this response."""
    return client.create_activation(**params)


@handle_errors("describe SSM activations", missing_codes=("InvalidActivationId",), missing_value=[])
def describe_activations(client, filters=None):
    """All activations matching DescribeActivations `filters` ([{'FilterKey', 'FilterValues'}]), values 100 per call."""
    found = []
    for batch in split_filters(filters, SSM_ACTIVATION_FILTER_VALUES, "FilterKey", "FilterValues"):
        found.extend(paginate(client, "describe_activations", "ActivationList", MaxResults=SSM_ACTIVATION_PAGE, Filters=batch))
    return _unique_by(found, "ActivationId")


def _unique_by(entries, key):
    """Entries without repeats of entry[key] (chunked filters may list one entry twice), order kept."""
    seen = set()
    return [e for e in entries if not (e.get(key) in seen or seen.add(e.get(key)))]


@handle_errors("delete the SSM activation", missing_codes=("InvalidActivation", "InvalidActivationId"), missing_value=False)
@fleet_retry
def delete_activation(client, activation_id):
    """True when deleted, False when it did not exist."""
    client.delete_activation(ActivationId=activation_id)
    return True


@handle_errors("describe SSM managed instances", missing_codes=_MISSING_INSTANCE, missing_value=[])
def describe_instance_information(client, filters=None):
    """All managed instances matching `filters` ([{'Key', 'Values'}]), in pages of 50, at most 100 values per filter."""
    found = []
    for batch in split_filters(filters, SSM_FILTER_VALUES):
        found.extend(paginate(client, "describe_instance_information", "InstanceInformationList", MaxResults=SSM_INSTANCE_PAGE,
                              Filters=batch))
    return _unique_by(found, "InstanceId")


@handle_errors("deregister the SSM managed instance", missing_codes=_MISSING_INSTANCE, missing_value=False)
@fleet_retry
def deregister_managed_instance(client, instance_id):
    """True when deregistered, False when it was not registered."""
    client.deregister_managed_instance(InstanceId=instance_id)
    return True


@handle_errors("list tags of the SSM managed instance", missing_codes=_MISSING_INSTANCE, missing_value=None)
@fleet_retry
def list_instance_tags(client, instance_id):
    """[{'Key', 'Value'}] or None when the instance does not exist."""
    return client.list_tags_for_resource(ResourceType=MANAGED_INSTANCE, ResourceId=instance_id).get("TagList", [])


@handle_errors("tag the SSM managed instance")
@fleet_retry
def add_instance_tags(client, instance_id, tags):
    client.add_tags_to_resource(ResourceType=MANAGED_INSTANCE, ResourceId=instance_id, Tags=tags)


@handle_errors("untag the SSM managed instance")
@fleet_retry
def remove_instance_tags(client, instance_id, keys):
    client.remove_tags_from_resource(ResourceType=MANAGED_INSTANCE, ResourceId=instance_id, TagKeys=list(keys))
