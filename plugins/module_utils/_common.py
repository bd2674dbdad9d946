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

from ._errors import FleetError

# Region names as AWS spells them: us-east-1, us-gov-west-1, cn-north-1, eusc-de-east-1. A typo such as
# us-east1 would otherwise reach an endpoint_url-configured service (or fail as an unreachable host).
REGION_PATTERN = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-[0-9]+$")
# ECS cluster names (1-255 letters, digits, - and _) or a cluster ARN. An empty name would make ECS
# act on the cluster named "default", which is never what the caller meant.
CLUSTER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
CLUSTER_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}$")

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
        token = security_token_fallback(self.params, os.environ)
        if token:
            self.params["session_token"] = token
            # Set after argument parsing, so it must be registered for masking by hand.
            self._module.no_log_values.add(token)

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
