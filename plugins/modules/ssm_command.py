#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ssm_command
version_added: 0.1.0
short_description: Run a shell script on SSM managed instances with Run Command, and report each instance's result
description:
  - Sends a shell script (the C(AWS-RunShellScript) document) to SSM managed instances, such as ECS Anywhere servers,
    through SSM Run Command; no SSH reaches the hosts, only their SSM agent. Runs from the controller
    (C(delegate_to) V(localhost)); the scripts run as root on the instances, with C(/bin/sh) unless their first line
    is a C(#!) line.
  - Targets are managed instance ids (O(instance_ids)) or tags (O(targets)). Ids are checked first; an id SSM does
    not know fails the task before anything is sent. SendCommand takes 50 ids, so more ids are sent as one command per
    50 (see O(max_concurrency) and O(max_errors)); tags are sent as one command whatever the fleet's size.
  - With O(wait=true) the module polls until the command is over (or O(wait_timeout)), then returns per instance its
    status, exit code, stdout and stderr (RV(instances)). Polling is per command, never per instance (one
    ListCommands call per command and round); the invocations are read once at the end, 50 per call, and the full
    output with one GetCommandInvocation per instance that ran the script (see O(output)).
  - The task fails when more than O(max_errors) instances did not succeed, for any reason (non-zero exit code, killed
    at the execution timeout, not reached, not run because the command stopped, refused), and the message names them
    and why. Up to O(max_errors) such instances make a warning instead.
  - "While it waits the task prints nothing: run it with C(async) and C(poll) to see a line per poll, or read
    RV(waited.progress) afterwards. An instance whose agent is stopped never picks the command up: AWS reports it
    C(DeliveryTimedOut) only when O(delivery_timeout) + O(execution_timeout) have passed, so lower them to know
    sooner, or skip instances SSM already sees offline (O(skip_offline))."
  - The script is written to the instance's disk by the SSM agent (its orchestration directory under
    C(/var/lib/amazon/ssm/), readable by root only, kept by the agent for C(Ssm.RunCommandLogsRetentionDurationHours),
    14 days by default) and is visible to anyone allowed C(ssm:ListCommands) in the account. Pass secrets the host
    already holds, not in the script; when the script must carry one, set O(hide_commands=true) so this task never
    shows it.
author:
  - hybridfleet maintainers (@hybridfleet)
options:
  instance_ids:
    description:
      - Managed instance ids (C(mi-...)) to run the script on; one value or a list.
      - One of O(instance_ids), O(targets) and O(command_id) is required.
    type: list
    elements: str
  targets:
    description:
      - Tags that select the instances, as tag key to value or list of values (an instance must match every key, and
        one of the values of each). At most 5 keys and 50 values per key.
      - "Sent as SendCommand C(Targets) (C(Key=tag:NAME)): SSM resolves them, for any number of instances."
    type: dict
  commands:
    description:
      - The script, one shell line per element, run as root on each instance with C(/bin/sh) (a C(#!/bin/bash) first
        line picks bash).
      - Required unless O(command_id) is given.
      - Shown in the task's result unless O(hide_commands=true).
    type: list
    elements: str
  hide_commands:
    description:
      - Keep the script out of this task's output and logs; the result names it by line count and SHA-256 only, and
        any line of 8 or more characters is masked wherever it would appear (e.g. in stdout of a script that echoes
        itself).
      - The script still reaches SSM and the instances (see the description).
    type: bool
    default: false
  secrets:
    description:
      - Values masked wherever they would appear in this task's result, the script's stdout and stderr included, such
        as a token the script uses that C(set -x) or an error message could print in another form than its line.
    type: list
    elements: str
  working_directory:
    description:
      - Absolute directory the script runs in. Empty means the SSM agent's own working directory.
    type: str
    default: ""
  execution_timeout:
    description:
      - Seconds the script may run before the agent kills it (the instance's result is then V(timed_out), exit code 137).
      - 1 to 172800 (48 hours), as C(AWS-RunShellScript) allows.
    type: int
    default: 3600
  delivery_timeout:
    description:
      - Seconds SSM keeps trying to deliver the command (SendCommand C(TimeoutSeconds), 30 to 2592000). An instance
        whose agent has not picked it up by then will not run it, and is reported not reached
        (C(DeliveryTimedOut)) once O(delivery_timeout) + O(execution_timeout) have passed.
    type: int
    default: 600
  max_concurrency:
    description:
      - How many instances run the script at once, a number or a percentage of the targets (V(10), V(25%)).
      - With more than 50 O(instance_ids) (one command per 50), a percentage applies to each command and a number is
        shared between the commands in proportion to their size.
    type: str
    default: "50"
  max_errors:
    description:
      - How many instances may fail before SSM stops sending the script to more of them, a number or a percentage of
        the targets (V(0), V(10%); a percentage rounds down). Failed and timed-out scripts count, as SSM counts them.
      - The task fails when more than this many instances did not succeed for any reason, not reached included, as
        Ansible's C(max_fail_percentage) counts unreachable hosts; up to this many make a warning.
      - With more than 50 O(instance_ids), each command stops at this many failures, and once more than this many
        failed across all of them the module cancels the commands still running.
    type: str
    default: "0"
  comment:
    description:
      - A comment shown with the command in SSM (at most 100 characters).
    type: str
  skip_offline:
    description:
      - Do not send to instances whose SSM C(PingStatus) is not C(Online) (their agent has not checked in for a while);
        they are reported V(not_reached) at once instead of after the delivery timeout. Tags are then resolved by the
        module and the command sent by id.
    type: bool
    default: false
  wait:
    description:
      - Wait for the command to finish on every instance and report each result.
      - With V(false), return the command ids at once; follow them later with O(command_id).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait before failing with RV(timed_out). Default O(delivery_timeout) + O(execution_timeout) + 60,
        past which SSM itself gives up.
      - V(0) looks once (with O(command_id), at the command as it is now).
    type: int
  poll_interval:
    description:
      - Seconds between polls while waiting.
    type: int
    default: 5
  cancel_on_timeout:
    description:
      - When O(wait_timeout) runs out, cancel the command where it still runs or waits (SSM stops the script); else it
        goes on without this task.
    type: bool
    default: false
  command_id:
    description:
      - Follow a command sent earlier (for example with O(wait=false)) instead of sending one; with O(wait=true) wait
        for it and judge it, with its own C(MaxErrors).
    type: str
  output:
    description:
      - V(full) reads each instance's stdout (first 24,000 characters) and stderr (first 8,000) with one
        GetCommandInvocation per instance that ran the script.
      - V(failed) reads them only for the instances that did not succeed (for large fleets).
      - V(summary) reads no more than the invocations list gives, C(output) (stdout and stderr together, first 2,500
        characters).
    type: str
    choices: [full, failed, summary]
    default: full
notes:
  - "IAM: C(ssm:SendCommand) on the document C(arn:aws:ssm:REGION::document/AWS-RunShellScript) and on the managed
    instances (C(arn:aws:ssm:REGION:ACCOUNT:managed-instance/*), which a C(ssm:resourceTag/KEY) condition can narrow);
    C(ssm:ListCommands), C(ssm:ListCommandInvocations), C(ssm:GetCommandInvocation), C(ssm:DescribeInstanceInformation)
    (the targets are checked before sending) and, for O(cancel_on_timeout), C(ssm:CancelCommand). With tag targets,
    an instance the credentials may not send to is reported V(refused) (C(AccessDenied))."
  - The managed instances need nothing beyond the SSM agent and its instance role (C(AmazonSSMManagedInstanceCore)).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - hybridfleet.ecs_anywhere.attributes.ACTION_GROUP
  - hybridfleet.ecs_anywhere.attributes.NO_DIFF
attributes:
  check_mode:
    details: Nothing is sent; the targets are resolved and RV(would_send) says what would be sent where.
"""

EXAMPLES = r"""
- name: Update the ECS agent on every production server, a quarter at a time, stopping at the first failure
  hybridfleet.ecs_anywhere.ssm_command:
    targets:
      Environment: production
    commands:
      - set -e
      - apt-get update -q
      - apt-get install -y -q amazon-ecs-init
      - systemctl restart ecs
    max_concurrency: 25%
    max_errors: "0"
    execution_timeout: 900
  delegate_to: localhost
  register: update

- name: Run a check on the hosts of this batch and read one host's output
  hybridfleet.ecs_anywhere.ssm_command:
    instance_ids: "{{ ansible_play_batch | map('extract', hostvars, 'ssm_managed_instance_id') | list }}"
    commands:
      - systemctl is-active ecs docker amazon-ssm-agent
  delegate_to: localhost
  run_once: true
  register: check

- name: Show what one host printed
  ansible.builtin.debug:
    msg: "{{ check.instances[hostvars['edge-07'].ssm_managed_instance_id].stdout }}"

- name: A script that carries a secret, kept out of the task's output (watch it poll with async)
  hybridfleet.ecs_anywhere.ssm_command:
    instance_ids: [mi-0123456789abcdef0]
    commands:
      - "printf '%s' '{{ registry_token }}' | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    hide_commands: true
    secrets: ["{{ registry_token }}"]
    delivery_timeout: 60
    execution_timeout: 120
    skip_offline: true
  delegate_to: localhost
  async: 300
  poll: 10

- name: Send without waiting, then follow the command later
  hybridfleet.ecs_anywhere.ssm_command:
    targets:
      site: [plant-7, plant-8]
    commands: [/usr/local/bin/rotate-logs]
    wait: false
  delegate_to: localhost
  register: sent

- name: Wait for it
  hybridfleet.ecs_anywhere.ssm_command:
    command_id: "{{ sent.command_id }}"
    wait_timeout: 1800
  delegate_to: localhost
"""

RETURN = r"""
command_id:
  description: The command's id (the first one when more than 50 O(instance_ids) made several).
  returned: when a command was sent or followed
  type: str
  sample: 2b196342-d7d4-436e-8f09-3883a1116ac3
command_ids:
  description: Every command sent (one per 50 O(instance_ids)), or the one followed.
  returned: when a command was sent or followed
  type: list
  elements: str
status:
  description:
    - The command's status as SSM reports it (C(Success), C(Failed), C(TimedOut), C(Cancelled), C(InProgress)...);
      the worst of them when there are several commands.
    - SSM's C(Success) may mean that up to C(MaxErrors) instances failed (RV(status_details) C(Incomplete)).
  returned: when a command was sent or followed
  type: str
status_details:
  description: SSM's detailed status of that command (C(Success), C(Incomplete), C(Failed), C(DeliveryTimedOut)...).
  returned: when a command was sent or followed
  type: str
instances:
  description:
    - Per managed instance id, what the command did there.
    - C(outcome) is V(success), V(failed) (non-zero exit code), V(timed_out) (killed at O(execution_timeout)),
      V(not_reached) (its agent never picked the command up, C(DeliveryTimedOut) or C(Undeliverable), or not sent
      because it was offline and O(skip_offline) was set), V(skipped) (not sent, the command stopped at
      O(max_errors), C(Terminated)), V(cancelled), V(refused) (C(AccessDenied), C(InvalidPlatform)), or
      V(pending) / V(in_progress) when the wait ended first.
    - C(status) and C(status_details) are SSM's; C(response_code) is the script's exit code (-1 when it did not run);
      C(reached) says whether the agent ran it.
    - For an instance that did not succeed once the wait is over, C(reason) says why in words an operator can act on,
      as the failure message does (for example C(exit code 3), or why its agent was not reached and what SSM reported).
    - With O(output=full) (or V(failed) for those that did not succeed), C(stdout) and C(stderr) as SSM keeps them,
      the first 24,000 and 8,000 characters; C(stdout_truncated) / C(stderr_truncated) say when more was written (the
      agent ends cut output with C(--output truncated--)); C(started) and C(ended) (ISO 8601).
    - With O(output=summary), C(output) (stdout then stderr, at most 2,500 characters) and C(output_truncated).
  returned: when the command was waited for or followed
  type: dict
  sample: {"mi-0123456789abcdef0": {"command_id": "2b196342-...", "instance_name": "edge-07.example.com",
           "outcome": "failed", "reached": true, "response_code": 100, "status": "Failed", "status_details": "Failed",
           "stdout": "", "stderr": "E: Unable to locate package amazon-ecs-init\n", "stdout_truncated": false,
           "stderr_truncated": false, "started": "2026-01-01T10:00:00.120Z", "ended": "2026-01-01T10:00:02.410Z"}}
outcomes:
  description: The instance ids per outcome (only the outcomes that occurred).
  returned: when the command was waited for or followed
  type: dict
  sample: {"success": ["mi-0123456789abcdef0"], "not_reached": ["mi-0fedcba9876543210"]}
counts:
  description: C(targets), C(completed), C(errors) and C(delivery_timed_out), as SSM counts them (summed over the commands).
  returned: when a command was sent or followed
  type: dict
timed_out:
  description: Whether O(wait_timeout) ran out before the command was over.
  returned: when the command was waited for
  type: bool
waited:
  description: How long the task waited and how the command progressed.
  returned: when the command was waited for
  type: dict
  contains:
    seconds:
      description: Seconds waited.
      type: float
    rounds:
      description: Poll rounds made.
      type: int
    progress:
      description:
        - The counts at each poll (at most the last 50 polls), C(seconds), C(completed), C(targets), C(errors),
          C(delivery_timed_out).
      type: list
      elements: dict
cancelled:
  description: The commands this task cancelled (O(cancel_on_timeout), or more than O(max_errors) failures across several commands).
  returned: when it cancelled any
  type: list
  elements: str
script:
  description: The script as C(lines) and C(sha256), instead of its text, when O(hide_commands=true).
  returned: when O(hide_commands=true)
  type: dict
would_send:
  description:
    - In check mode, what would be sent - document, parameters (the commands unless hidden), timeouts, rate controls -
      and where (C(instance_ids) or C(targets), with C(matching), the instances SSM would pick now, and C(offline)).
  returned: in check mode
  type: dict
"""

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ssm
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ssm_commands
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import chunks
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import split_filters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import FleetModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_managed_instance_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import run
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import name_some
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import COMMAND_OVER
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import chunk_concurrency
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import failure_message
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import instance_result
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import offline_result
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import outcome_lists
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import rate_count
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import rate_problem
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import reason
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import script_fingerprint
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_command_results import verdict
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import Clock
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import poll_until

# Worst first: the status reported for several commands.
STATUS_ORDER = ("Failed", "TimedOut", "Cancelled", "Cancelling", "InProgress", "Pending", "Delayed", "Success")
PROGRESS_KEPT = 50
# Lines shorter than this are shell keywords (fi, done, set -e) rather than secrets; masking them would garble output.
MASKED_LINE_LENGTH = 8


class CommandManager:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.client = module.client("ssm")
        self.clock = None  # tests inject a fake clock; None means real time
        self.progress = []
        self.cancelled = []
        self.changed = False
        self.timeouts = {"delivery": self.p["delivery_timeout"], "execution": self.p["execution_timeout"]}

    # --- checking and planning -----------------------------------------------------------------------------------
    def _check_inputs(self):
        p = self.p
        if p["command_id"] and (p["commands"] or p["instance_ids"] or p["targets"]):
            raise FleetError("command_id follows a command sent earlier: give it alone, without commands, instance_ids or targets. "
                             "Nothing was sent.")
        if not p["command_id"] and not p["commands"]:
            raise FleetError("commands is required to send a command (or give command_id to follow one). Nothing was sent.")
        for option in ("max_concurrency", "max_errors"):
            problem = rate_problem(p[option], option)
            if problem:
                raise FleetError(problem)
        limits = ((p["execution_timeout"], 1, _ssm_commands.EXECUTION_TIMEOUT_MAX, "execution_timeout",
                   "how long the script may run"),
                  (p["delivery_timeout"], _ssm_commands.SSM_DELIVERY_TIMEOUT_MIN, _ssm_commands.SSM_DELIVERY_TIMEOUT_MAX,
                   "delivery_timeout", "how long SSM may try to reach the instances"))
        for value, low, high, option, what in limits:
            if not low <= value <= high:
                raise FleetError(f"{option} must be between {low} and {high} seconds, got {value}; set it to {what}. Nothing was sent.")
        if p["poll_interval"] < 1 or (p["wait_timeout"] is not None and p["wait_timeout"] < 0):
            raise FleetError(f"poll_interval must be at least 1 and wait_timeout at least 0 seconds, got {p['poll_interval']} and "
                             f"{p['wait_timeout']}. Nothing was sent.")
        if p["comment"] and len(p["comment"]) > _ssm_commands.SSM_COMMENT_LENGTH:
            raise FleetError(f"comment may have {_ssm_commands.SSM_COMMENT_LENGTH} characters, got {len(p['comment'])}. Nothing was sent.")
        if p["working_directory"] and not p["working_directory"].startswith("/"):
            raise FleetError(f"working_directory must be an absolute path, got '{p['working_directory']}'. Nothing was sent.")
        check_managed_instance_ids(p["instance_ids"], "instance_ids")
        self._check_targets(p["targets"])

    @staticmethod
    def _check_targets(targets):
        if targets is None:
            return
        if not targets or len(targets) > _ssm_commands.SSM_COMMAND_TARGETS:
            raise FleetError(f"targets takes 1 to {_ssm_commands.SSM_COMMAND_TARGETS} tag keys, got {len(targets)}. Nothing was sent.")
        for key, values in targets.items():
            values = values if isinstance(values, list) else [values]
            if not values or len(values) > _ssm_commands.SSM_TARGET_VALUES or any(v is None or isinstance(v, (dict, list)) for v in values):
                raise FleetError(f"targets['{key}'] must be one value or a list of 1 to {_ssm_commands.SSM_TARGET_VALUES} values, "
                                 f"got {values!r}. Nothing was sent.")

    def _tag_filters(self):
        filters = []
        for key, values in self.p["targets"].items():
            values = values if isinstance(values, list) else [values]
            filters.append({"Key": f"tag:{key}", "Values": [_as_text(v) for v in values]})
        return filters

    def _resolve(self):
        """{id: DescribeInstanceInformation entry} of the targets, checked before anything is sent."""
        if self.p["instance_ids"]:
            wanted = list(dict.fromkeys(self.p["instance_ids"]))
            found = {i["InstanceId"]: i for i in _ssm.describe_instance_information(self.client, [{"Key": "InstanceIds", "Values": wanted}])}
            unknown = [i for i in wanted if i not in found]
            if unknown:
                raise FleetError(f"SSM knows no managed instance {name_some(unknown)} in {self.module.region}: check the ids and the region "
                                 "(hybridfleet.ecs_anywhere.ssm_managed_instance_info lists them). Nothing was sent.", unknown=unknown)
            return {i: found[i] for i in wanted}
        found = {}
        # DescribeInstanceInformation takes 5 values per tag filter; filters AND, values OR, as Targets do.
        for batch in split_filters(self._tag_filters(), _ssm_commands.SSM_TAG_FILTER_VALUES):
            found.update((i["InstanceId"], i) for i in _ssm.describe_instance_information(self.client, batch))
        if not found:
            tags = ", ".join(f"{f['Key'][4:]}={'|'.join(f['Values'])}" for f in self._tag_filters())
            raise FleetError(f"No managed instance in {self.module.region} has the tags {tags}, so the command would reach none "
                             "(SSM: NoInstancesInTag); check the tags with hybridfleet.ecs_anywhere.ssm_managed_instance_info. "
                             "Nothing was sent.")
        return found

    def _base_request(self):
        p = self.p
        parameters = {"commands": list(p["commands"]), "executionTimeout": [str(p["execution_timeout"])]}
        if p["working_directory"]:
            parameters["workingDirectory"] = [p["working_directory"]]
        request = {"DocumentName": _ssm_commands.DOCUMENT, "Parameters": parameters, "TimeoutSeconds": p["delivery_timeout"],
                   "MaxConcurrency": p["max_concurrency"], "MaxErrors": p["max_errors"]}
        if p["comment"]:
            request["Comment"] = p["comment"]
        return request

    def _requests(self, targets):
        """(the SendCommand requests, the instances left out as offline)."""
        base = self._base_request()
        offline = {i: t for i, t in targets.items() if t.get("PingStatus") != "Online"} if self.p["skip_offline"] else {}
        ids = [i for i in targets if i not in offline]
        if not ids:
            return [], offline
        if self.p["targets"] and not offline:
            return [dict(base, Targets=[{"Key": f["Key"], "Values": f["Values"]} for f in self._tag_filters()])], offline
        parts = chunks(ids, _ssm_commands.SSM_COMMAND_INSTANCES)
        return [dict(base, InstanceIds=part, MaxConcurrency=chunk_concurrency(self.p["max_concurrency"], len(part), len(ids)))
                for part in parts], offline

    # --- running -------------------------------------------------------------------------------------------------
    def run(self):
        self._check_inputs()
        if self.p["command_id"]:
            return self._follow(self.p["command_id"])
        targets = self._resolve()
        requests, offline = self._requests(targets)
        if self.module.check_mode:
            return self._prediction(requests, targets, offline)
        if not requests:
            states = name_some(f"{i}: PingStatus {t.get('PingStatus')}" for i, t in offline.items())
            raise FleetError(f"Every target is offline ({states}) and skip_offline is set: nothing was sent. Start their SSM agents, "
                             "or send without skip_offline.",
                             instances={i: offline_result(t) for i, t in offline.items()}, changed=False)
        commands = [_ssm_commands.send_command(self.client, **request) for request in requests]
        self.changed = True
        ids = [c["CommandId"] for c in commands]
        result = self._hidden({"changed": True, "command_id": ids[0], "command_ids": ids})
        if not self.p["wait"]:
            result.update(_aggregate(commands))
            return result
        return self._finish(result, ids, offline, self.p["max_errors"], len(targets))

    def _follow(self, command_id):
        command = _ssm_commands.command_status(self.client, command_id)
        if command is None:
            raise FleetError(f"SSM knows no command {command_id} in {self.module.region}: check the id and the region (commands are kept 30 days).")
        result = {"changed": False, "command_id": command_id, "command_ids": [command_id]}
        # A followed command has its own timeouts: they bound the wait and name the causes.
        self.timeouts = {"delivery": command.get("TimeoutSeconds") or 0,
                         "execution": int(((command.get("Parameters") or {}).get("executionTimeout") or ["3600"])[0])}
        if not self.p["wait"] or self.module.check_mode:
            result.update(_aggregate([command]))
            result["instances"] = self._collect([command_id], {})
            result["outcomes"] = outcome_lists(result["instances"])
            return result
        return self._finish(result, [command_id], {}, command.get("MaxErrors") or "0", command.get("TargetCount") or 0)

    def _finish(self, result, ids, offline, max_errors, total):
        states, timed_out = self._wait(ids, max_errors, total)
        if timed_out and self.p["cancel_on_timeout"]:
            self._cancel([c for c, s in states.items() if not _over(s)])
        if self.cancelled:
            states = {c: _ssm_commands.command_status(self.client, c) or states[c] for c in ids}
        instances = self._collect(ids, offline)
        for instance in instances.values():
            if instance["outcome"] != "success":
                instance["reason"] = reason(instance, self.timeouts)
        result.update(_aggregate(list(states.values())), changed=self.changed, instances=instances, outcomes=outcome_lists(instances),
                      timed_out=timed_out, waited=self.waited)
        if self.cancelled:
            result["cancelled"] = self.cancelled
        failed, not_ok = verdict(instances, max_errors)
        if failed or timed_out:
            timeouts = dict(self.timeouts, wait=self._wait_timeout())
            raise FleetError(failure_message(ids, instances, not_ok, timeouts, max_errors, timed_out), **result)
        if not_ok:
            self.module.warn(f"{len(not_ok)} of {len(instances)} instance(s) did not succeed, within max_errors {max_errors}: "
                             + name_some(f"{i}: {instances[i]['reason']}" for i in not_ok))
        return result

    def _wait_timeout(self):
        if self.p["wait_timeout"] is not None:
            return self.p["wait_timeout"]
        return self.timeouts["delivery"] + self.timeouts["execution"] + 60

    def _wait(self, ids, max_errors, total):
        """Poll each command (one ListCommands call per command and round) until all are over."""
        states = {c: None for c in ids}

        def fetch():
            for command_id in ids:
                if not _over(states[command_id]):
                    states[command_id] = _ssm_commands.command_status(self.client, command_id) or states[command_id]
            counts = _counts(states.values())
            self.progress.append(dict(seconds=round(self._elapsed(), 1), **counts))
            if len(ids) > 1 and not self.cancelled and counts["errors"] > rate_count(max_errors, total):
                # Several commands stand for one: once their errors together pass max_errors, stop the others too.
                self._cancel([c for c, s in states.items() if not _over(s)])
            return states

        self._started = (self.clock or Clock()).now()
        outcome = poll_until(fetch, lambda s: all(_over(v) for v in s.values()), self._wait_timeout(), self.p["poll_interval"], clock=self.clock)
        self.waited = {"seconds": round(outcome.elapsed, 1), "rounds": outcome.rounds, "progress": self.progress[-PROGRESS_KEPT:]}
        return states, not outcome.done

    def _elapsed(self):
        return (self.clock or Clock()).now() - self._started

    def _cancel(self, command_ids):
        for command_id in command_ids:
            _ssm_commands.cancel_command(self.client, command_id)
            self.cancelled.append(command_id)
            self.changed = True

    def _collect(self, ids, offline):
        """Each instance's result: the invocations in pages of 50, and the output of those that ran (see output)."""
        results = {}
        for command_id in ids:
            for invocation in _ssm_commands.list_invocations(self.client, command_id):
                instance_id = invocation["InstanceId"]
                plugin = (invocation.get("CommandPlugins") or [{}])[0]
                ran = plugin.get("ResponseCode", -1) not in (None, -1) and invocation.get("StatusDetails") not in ("Pending", "InProgress")
                wanted = self.p["output"] == "full" or (self.p["output"] == "failed" and invocation.get("StatusDetails") != "Success")
                full = None
                if self.p["output"] != "summary":
                    full = (_ssm_commands.get_invocation(self.client, command_id, instance_id) if ran and wanted else None) or {}
                results[instance_id] = instance_result(invocation, full, summary=self.p["output"] == "summary")
        results.update((i, offline_result(t)) for i, t in offline.items())
        return results

    def _hidden(self, result):
        if self.p["hide_commands"] and self.p["commands"]:
            result["script"] = script_fingerprint(self.p["commands"])
        return result

    def _prediction(self, requests, targets, offline):
        shown = []
        for request in requests:
            request = dict(request, Parameters=dict(request["Parameters"]))
            if self.p["hide_commands"]:
                request["Parameters"]["commands"] = ["(hidden: %d line(s))" % len(self.p["commands"])]
            shown.append(request)
        would = {"commands": shown, "matching": sorted(targets), "offline": sorted(i for i, t in targets.items() if t.get("PingStatus") != "Online"),
                 "not_sent_offline": sorted(offline)}
        return self._hidden({"changed": bool(requests), "would_send": would})


def _as_text(value):
    """Tag values as SSM stores them: YAML booleans as true/false, numbers as their digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _over(command):
    return command is not None and command.get("Status") in COMMAND_OVER


def _counts(commands):
    commands = [c for c in commands if c]
    return {"targets": sum(c.get("TargetCount", 0) for c in commands), "completed": sum(c.get("CompletedCount", 0) for c in commands),
            "errors": sum(c.get("ErrorCount", 0) for c in commands), "delivery_timed_out": sum(c.get("DeliveryTimedOutCount", 0) for c in commands)}


def _aggregate(commands):
    """status, status_details and counts of one or several commands (the worst status wins)."""
    known = [c for c in commands if c]
    if not known:
        return {"status": "Pending", "status_details": "Pending", "counts": _counts([])}
    worst = min(known, key=lambda c: STATUS_ORDER.index(c.get("Status")) if c.get("Status") in STATUS_ORDER else 0)
    return {"status": worst.get("Status"), "status_details": worst.get("StatusDetails"), "counts": _counts(known)}


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str"),
        targets=dict(type="dict"),
        # no_log: kept out of the module's own log; shown in results unless hide_commands (see below).
        commands=dict(type="list", elements="str", no_log=True),
        hide_commands=dict(type="bool", default=False),
        secrets=dict(type="list", elements="str", no_log=True),
        working_directory=dict(type="str", default=""),
        execution_timeout=dict(type="int", default=3600),
        delivery_timeout=dict(type="int", default=600),
        max_concurrency=dict(type="str", default="50"),
        max_errors=dict(type="str", default="0"),
        comment=dict(type="str"),
        skip_offline=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int"),
        poll_interval=dict(type="int", default=5),
        cancel_on_timeout=dict(type="bool", default=False),
        command_id=dict(type="str"),
        output=dict(type="str", choices=["full", "failed", "summary"], default="full"),
    )
    module = FleetModule(argument_spec=argument_spec, supports_check_mode=True,
                         required_one_of=[["instance_ids", "targets", "command_id"]],
                         mutually_exclusive=[["instance_ids", "targets"]])
    reveal(module)
    run(module, CommandManager)


def reveal(module):
    """commands is no_log so the module never writes the script to the host's log before it knows hide_commands; unless
    the script is hidden, its lines are unmasked again for the results (short lines are never masked: they are shell
    keywords, and masking them would garble every output)."""
    commands = module.params.get("commands") or []
    kept = set(module.params.get("secrets") or [])
    values = module._module.no_log_values
    if module.params.get("hide_commands"):
        values.difference_update(c for c in commands if len(c.strip()) < MASKED_LINE_LENGTH and c not in kept)
    else:
        values.difference_update(c for c in commands if c not in kept)


if __name__ == "__main__":
    main()
