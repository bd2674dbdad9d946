# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module base every hybridfleet.ecs_anywhere module is built on."""

import os
import re

try:
    import botocore.config
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from . import _sts
from ._errors import FleetError
from ._errors import name_some

# Region names as AWS spells them: us-east-1, us-gov-west-1, cn-north-1, eusc-de-east-1. A typo such as
# us-east1 would otherwise reach an endpoint_url-configured service (or fail as an unreachable host).
REGION_PATTERN = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-[0-9]+$")
# ECS cluster names (1-255 letters, digits, - and _) or a cluster ARN. An empty name would make ECS
# act on the cluster named "default", which is never what the caller meant.
CLUSTER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
CLUSTER_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}$")
# What may stand in an `ec2InstanceId in [...]` expression: SSM managed instance ids (and EC2 ids), nothing
# that could end the list or add a clause.
EC2_INSTANCE_ID_PATTERN = re.compile(r"^(mi|i)-[0-9a-f]{8,32}$")

COLLECTION_NAME = "hybridfleet.ecs_anywhere"
COLLECTION_VERSION = "0.1.0"
USER_AGENT_EXTRA = f"{COLLECTION_NAME}/{COLLECTION_VERSION}"


def security_token_fallback(params, environ):
    """The session token to use when only the legacy AWS_SECURITY_TOKEN is set, else None.

    amazon.aws >= 10 reads AWS_SESSION_TOKEN only, while older AWX credential types inject
    AWS_SECURITY_TOKEN: without this, temporary keys are sent without their token and rejected.
    A profile carries its own token, so it is left alone.
    """
    if params.get("session_token") or params.get("profile"):
        return None
    if environ.get("AWS_SESSION_TOKEN"):
        return None
    return environ.get("AWS_SECURITY_TOKEN") or None


def region_problem(region):
    """A message saying what is wrong with `region` and what to do, or None when it is a region name."""
    if region is None or REGION_PATTERN.fullmatch(region):
        return None  # a missing region is reported by amazon.aws itself
    return (f"region '{region}' is not an AWS region name such as us-east-1, eu-central-1 or cn-north-1; set the region option "
            "(or AWS_REGION / AWS_DEFAULT_REGION) to the region the fleet is in. Nothing was changed.")


def check_cluster(value, option="cluster", allow_arn=True):
    """Raise FleetError unless `value` is an ECS cluster name (or, when allowed, a cluster ARN)."""
    value = value or ""
    if not (CLUSTER_NAME_PATTERN.fullmatch(value) or (allow_arn and CLUSTER_ARN_PATTERN.fullmatch(value))):
        what = "an ECS cluster name (1-255 letters, digits, - and _)" + (" or a cluster ARN" if allow_arn else "")
        raise FleetError(f"{option} must be {what}, got '{value}'; "
                         "give the name of the cluster the hosts join, such as hybrid-cluster. Nothing was changed.")
    return value


def check_arn_location(arns, region, account_of, option="cluster"):
    """Refuse ARNs of another region or account before any call acts on them.

    ECS takes a cluster ARN from another region or account and acts on the local cluster of that name
    (or reports it missing, which deregistration reads as done). The account is read with
    account_of() (STS GetCallerIdentity) only when an ARN is given.
    """
    arns = [str(a) for a in arns or [] if str(a).startswith("arn:")]
    if not arns:
        return
    account = account_of()
    wrong = [a for a in arns if a.split(":")[3:5] != [region, account]]
    if not wrong:
        return
    their_region, their_account = wrong[0].split(":")[3:5]
    raise FleetError(f"{option} {name_some(wrong)} is in region {their_region}, account {their_account}, but this task works in region "
                     f"{region} with the credentials of account {account}: ECS would act on, or miss, something else. Set region (and "
                     f"credentials) to the ones of that ARN, or give a name or ARN from region {region}, account {account}. Nothing was changed.")


def check_managed_instance_ids(ids, option):
    """Raise FleetError naming the values of `option` that are not managed instance ids."""
    bad = [i for i in ids or [] if not EC2_INSTANCE_ID_PATTERN.fullmatch(str(i))]
    if bad:
        raise FleetError(f"{option} must be managed instance ids such as mi-0123456789abcdef0, got {name_some(repr(b) for b in bad)}. "
                         "Nothing was changed.")
    return ids


def botocore_config(existing=None):
    """A botocore Config naming this collection in the user agent, merged with any caller config."""
    config = botocore.config.Config(user_agent_extra=USER_AGENT_EXTRA)
    if existing is None:
        return config
    if isinstance(existing, dict):
        existing = botocore.config.Config(**existing)
    return config.merge(existing)


class FleetModule(AnsibleAWSModule):
    """AnsibleAWSModule plus the legacy session-token fallback and this collection's user agent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._caller_account = None
        token = security_token_fallback(self.params, os.environ)
        if token:
            self.params["session_token"] = token
            # Set after argument parsing, so it must be registered for masking by hand.
            self._module.no_log_values.add(token)

    def caller_account(self):
        """The account of the credentials in use, read once (STS GetCallerIdentity needs no IAM permission)."""
        if self._caller_account is None:
            self._caller_account = _sts.caller_account(self.client("sts"))
        return self._caller_account

    def client(self, service, retry_decorator=None, **extra_params):
        problem = region_problem(self.region)
        if problem:
            self.fail_json(msg=problem)
        extra_params["config"] = botocore_config(extra_params.get("config"))
        return super().client(service, retry_decorator=retry_decorator, **extra_params)


def run(module, manager_factory):
    """Run a manager's run() and exit with its result, turning our exceptions into clear failures."""
    try:
        result = manager_factory(module).run()
    except FleetError as e:
        module.fail_json(msg=e.message, **e.extra)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)
