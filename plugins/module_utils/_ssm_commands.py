# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin SSM Run Command wrappers: retried, paged to service limits, raising FleetAWSError (never fail_json).

Polling is per command, not per instance: ListCommands carries a command's counts and status; the invocations are read
in pages of 50 (ListCommandInvocations with Details) and GetCommandInvocation, for the full output, once per instance
when its invocation is over.
"""

from ._batching import Limit
from ._batching import paginate
from ._errors import handle_errors
from ._retry import fleet_retry

DOCUMENT = "AWS-RunShellScript"
PLUGIN = "aws:runShellScript"

SSM_COMMAND_INSTANCES = 50     # SendCommand InstanceIds: max 50 (model)
SSM_COMMAND_TARGETS = 5        # SendCommand Targets: max 5 (model)
SSM_TARGET_VALUES = 50         # SendCommand Targets[].Values: max 50 (model)
SSM_COMMAND_PAGE = 50          # ListCommandInvocations MaxResults: 1-50 (model)
SSM_COMMENT_LENGTH = 100       # SendCommand Comment: max 100 (model)
SSM_DELIVERY_TIMEOUT_MIN = 30  # SendCommand TimeoutSeconds: 30-2592000 (model)
SSM_DELIVERY_TIMEOUT_MAX = 2592000
# DescribeInstanceInformation takes at most 5 values in a tag:KEY filter ("The number of tag values for tag:Name was 6.
# Max: 5."): the service says so, the model does not.
SSM_TAG_FILTER_VALUES = 5
# AWS-RunShellScript's executionTimeout: "Default is 3600 (1 hour). Maximum is 172800 (48 hours)" (the document).
EXECUTION_TIMEOUT_MAX = 172800
# The API's output limits (model: StandardOutputContent max 24000, StandardErrorContent max 8000, CommandPluginOutput
# max 2500).
STDOUT_LIMIT = 24000
STDERR_LIMIT = 8000
PLUGIN_OUTPUT_LIMIT = 2500

LIMITS = {
    "SSM_COMMAND_INSTANCES": Limit(SSM_COMMAND_INSTANCES, "ssm", "SendCommand", "InstanceIds", "max"),
    "SSM_COMMAND_TARGETS": Limit(SSM_COMMAND_TARGETS, "ssm", "SendCommand", "Targets", "max"),
    "SSM_TARGET_VALUES": Limit(SSM_TARGET_VALUES, "ssm", "SendCommand", "Targets[].Values", "max"),
    "SSM_COMMAND_PAGE": Limit(SSM_COMMAND_PAGE, "ssm", "ListCommandInvocations", "MaxResults", "max"),
    "SSM_COMMENT_LENGTH": Limit(SSM_COMMENT_LENGTH, "ssm", "SendCommand", "Comment", "max"),
    "SSM_DELIVERY_TIMEOUT_MIN": Limit(SSM_DELIVERY_TIMEOUT_MIN, "ssm", "SendCommand", "TimeoutSeconds", "min"),
    "SSM_DELIVERY_TIMEOUT_MAX": Limit(SSM_DELIVERY_TIMEOUT_MAX, "ssm", "SendCommand", "TimeoutSeconds", "max"),
}
OUTPUT_LIMITS = {
    "STDOUT_LIMIT": ("GetCommandInvocationResult", "StandardOutputContent", STDOUT_LIMIT),
    "STDERR_LIMIT": ("GetCommandInvocationResult", "StandardErrorContent", STDERR_LIMIT),
    "PLUGIN_OUTPUT_LIMIT": ("CommandPlugin", "Output", PLUGIN_OUTPUT_LIMIT),
}


@handle_errors("send the SSM command")
@fleet_retry
def send_command(client, **params):
    """The Command SendCommand returns (CommandId, Status, TargetCount...)."""
    return client.send_command(**params)["Command"]


@handle_errors("read the SSM command's status", missing_codes=("InvalidCommandId",), missing_value=None)
@fleet_retry
def command_status(client, command_id):
    """The command as ListCommands shows it (Status, StatusDetails and counts), or None while SSM does not show it
    yet: the Run Command API is eventually consistent."""
    commands = client.list_commands(CommandId=command_id).get("Commands") or []
    return commands[0] if commands else None


@handle_errors("list the SSM command's invocations")
def list_invocations(client, command_id):
    """Every invocation of the command with its plugin details, 50 per call."""
    return paginate(client, "list_command_invocations", "CommandInvocations", CommandId=command_id, Details=True,
                    MaxResults=SSM_COMMAND_PAGE)


@handle_errors("read the output of an SSM command invocation", missing_codes=("InvocationDoesNotExist",), missing_value=None)
@fleet_retry
def get_invocation(client, command_id, instance_id):
    """StandardOutputContent (first 24,000 characters) and StandardErrorContent (first 8,000) of one invocation."""
    return client.get_command_invocation(CommandId=command_id, InstanceId=instance_id)


@handle_errors("cancel the SSM command")
@fleet_retry
def cancel_command(client, command_id):
    client.cancel_command(CommandId=command_id)
