# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module base every hybridfleet.ecs_anywhere module is built on."""

import os

try:
    import botocore.config
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ._errors import FleetError

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
