# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions and the error handlers that turn botocore errors into actionable messages.

API wrappers never call fail_json: they raise FleetAWSError, and the module base turns it into a
failure whose message says what went wrong and what to do next.
"""

import functools

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

# Error code -> what the user should do about it.
HINTS = {
    "AccessDeniedException": "check that the credentials in use are allowed this action (IAM policy)",
    "AccessDenied": "check that the credentials in use are allowed this action (IAM policy)",
    "UnrecognizedClientException": "check the access key, secret key and session token",
    "InvalidClientTokenId": "check the access key, secret key and session token",
    "ExpiredTokenException": "the session token has expired; refresh the credentials and retry",
    "ClusterNotFoundException": "check the cluster name and region, or create it with hybridfleet.ecs_anywhere.ecs_cluster",
    "ClusterContainsContainerInstancesException":
        "deregister its container instances first (hybridfleet.ecs_anywhere.ecs_container_instance state=deregistered)",
    "ClusterContainsServicesException": "delete or scale down its services first",
    "ClusterContainsTasksException": "stop its running tasks first",
    "InvalidActivation": "the activation does not exist or has expired; create a new one with hybridfleet.ecs_anywhere.ssm_activation",
    "InvalidActivationId": "check the activation id (it looks like a UUID)",
    "InvalidInstanceId": "check the managed instance id (mi-...) and region",
    "InvalidParameterException": "check the values passed to the module",
    "ValidationException": "check the values passed to the module",
    "ThrottlingException": "AWS kept throttling the requests; retry later or lower the play's forks",
    "Throttling": "AWS kept throttling the requests; retry later or lower the play's forks",
}


# How many items a message names before it says how many more there are: a message about 5,000 ids
# must stay readable (and small enough for a log line).
NAMED_IN_MESSAGES = 5


def name_some(items, limit=NAMED_IN_MESSAGES):
    """'a, b, c' or 'a, b, c, d, e and 4995 more': the first few items of a list, and how many were left out."""
    items = [str(i) for i in items]
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def error_code(exception):
    """The AWS error code of a botocore ClientError, or None for anything else."""
    response = getattr(exception, "response", None)
    if not isinstance(response, dict):
        return None
    return response.get("Error", {}).get("Code")


def hint_for(exception):
    return HINTS.get(error_code(exception))


def describe_failure(action, exception):
    """One-line message: what failed, why, and what to do next."""
    code = error_code(exception)
    message = f"Failed to {action}"
    if code:
        message += f" ({code})"
    hint = hint_for(exception)
    if hint:
        message += f"; {hint}"
    return message


class FleetError(Exception):
    """A failure detected by this collection's own logic (not an AWS error)."""

    def __init__(self, message, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra


class FleetAWSError(AnsibleAWSError):
    """An AWS API call failed; message already names the action and the next step."""


def handle_errors(action, missing_codes=(), missing_value=None):
    """Decorator: raise FleetAWSError on API failure; return missing_value on the listed 'not found' codes."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except botocore.exceptions.ClientError as e:
                if error_code(e) in missing_codes:
                    return missing_value
                raise FleetAWSError(message=describe_failure(action, e), exception=e) from e
            except botocore.exceptions.BotoCoreError as e:
                raise FleetAWSError(message=f"Failed to {action}: {e}", exception=e) from e

        return wrapper

    return decorator
