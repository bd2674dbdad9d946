"""ec2messages, the Message Delivery Service (MDS) the SSM agent polls for Run Command, as the agent's own SDK client
calls it (amazon-ssm-agent extra/aws-sdk-go/service/ssmmds: JSON 1.1, target prefix EC2WindowsMessageDeliveryService,
signing name ec2messages; agent/runcommand/mds/service.go makes the calls):

- GetMessages {Destination, MessagesRequestId, VisibilityTimeoutInSeconds} -> {Destination, MessagesRequestId,
  Messages: [{CreatedDate, Destination, MessageId, Payload, PayloadDigest, Topic}]}: a long poll, answered as soon as a
  message is there or after config.message_long_poll seconds with none. A message handed out is invisible for the visibility timeout
  and handed out again unless acknowledged (the agent acknowledges right after it accepts it).
- AcknowledgeMessage {MessageId}: the agent has the message; it leaves the mailbox.
- SendReply {MessageId, Payload, ReplyId}: the agent's status for the message (SendReplyPayload JSON: documentStatus,
  documentTraceOutput, runtimeStatus per plugin with code, output, standardOutput, standardError, times).
- FailMessage {MessageId, FailureType}: the agent could not handle the message (NoHandlerExists,
  InternalHandlerException); the invocation fails without running.
- DeleteMessage {MessageId}: the message leaves the mailbox, nothing else changes.

MessageId is "aws.ssm.<CommandId>.<InstanceId>" and Topic "aws.ssm.sendCommand.<region with dots>.1" (or
aws.ssm.cancelCommand... with payload {"CancelMessageId": ...}), as agent/runcommand/contracts/model.go and
agent/messageservice/utils/messageutil.go parse them. Callers are not authenticated: the Destination names the
instance, which must be registered (the real service knows it from the instance's credentials).
"""
import hashlib
import json
import threading
import time

from .errors import AwsError
from .ssm_commands import iso

# How long a GetMessages waits for a message is config.message_long_poll (10 s): the agent's HTTP client gives up after
# Mds.StopTimeoutMillis (20 s by default) and treats a long poll the server ends as normal
# (agent/runcommand/mds/service.go isErrorUnexpected).
DEFAULT_VISIBILITY_SECONDS = 10  # what the agent asks for (service.go GetMessages: VisibilityTimeoutInSeconds 10)
FAILURE_TYPES = ("NoHandlerExists", "InternalHandlerException")


class Ec2Messages:
    # The dispatcher calls handle() without the emulator's lock: a long poll must not block every other caller.
    locks_itself = True
    OPERATIONS = {
        "GetMessages": "get_messages",
        "AcknowledgeMessage": "acknowledge_message",
        "SendReply": "send_reply",
        "FailMessage": "fail_message",
        "DeleteMessage": "delete_message",
    }

    def __init__(self, emu, commands):
        self.emu = emu
        self.commands = commands
        self.changed = threading.Condition()
        commands.notify = self.wake

    def wake(self):
        with self.changed:
            self.changed.notify_all()

    def handle(self, req):
        method = self.OPERATIONS.get(req.operation)
        if method is None:
            raise AwsError("UnsupportedMessageOperationException", "The operation %s is not supported." % req.operation)
        params = req.params()
        if method == "get_messages":
            return self.get_messages(req.region, params)
        with self.emu.lock:
            region = self.commands.region(req.region)
            self.commands.advance(region)
            return getattr(self, method)(region, params)

    # --- GetMessages ----------------------------------------------------------------------------------------------
    def get_messages(self, region_name, p):
        destination = p.get("Destination") or ""
        visibility = p.get("VisibilityTimeoutInSeconds") or DEFAULT_VISIBILITY_SECONDS
        if not isinstance(visibility, int) or isinstance(visibility, bool) or visibility < 0:
            raise AwsError("ValidationException", "VisibilityTimeoutInSeconds must be a non-negative integer.")
        deadline = time.monotonic() + self.emu.config.message_long_poll
        while True:
            with self.emu.lock:
                if destination not in self.emu.ssm.region(region_name).instances:
                    raise AwsError("InvalidDestinationException", "The destination %s is not a registered managed "
                                                                  "instance." % destination)
                region = self.commands.region(region_name)
                self.commands.advance(region)
                messages = self._take(region, destination, visibility)
            remaining = deadline - time.monotonic()
            if messages or remaining <= 0:
                return {"Destination": destination, "MessagesRequestId": p.get("MessagesRequestId", ""),
                        "Messages": messages}
            with self.changed:
                # Short slices: time-driven changes (a command's expiry) need no notification to be seen.
                self.changed.wait(min(remaining, 1.0))

    @staticmethod
    def _take(region, destination, visibility):
        now = time.time()
        taken = []
        for message in region.mailboxes.get(destination, {}).values():
            if message.visible_at > now:
                continue
            message.visible_at = now + visibility
            taken.append({"CreatedDate": iso(message.created), "Destination": destination,
                          "MessageId": message.message_id, "Payload": message.payload,
                          "PayloadDigest": hashlib.sha256(message.payload.encode()).hexdigest(),
                          "Topic": message.topic})
        return taken

    # --- the agent's answers ------------------------------------------------------------------------------------
    def _message(self, region, p):
        message = self.commands.find_message(region, p.get("MessageId"))
        if message is None:
            raise AwsError("InvalidMessageIdException", "The message %s does not exist." % p.get("MessageId"))
        return message

    def acknowledge_message(self, region, p):
        self.commands.acknowledge(region, self._message(region, p))
        return {}

    def send_reply(self, region, p):
        message = self._message(region, p)
        try:
            payload = json.loads(p.get("Payload") or "")
        except ValueError:
            raise AwsError("ValidationException", "Payload is not a JSON document.") from None
        if not isinstance(payload, dict):
            raise AwsError("ValidationException", "Payload must be a JSON object.")
        changed = self.commands.reply(region, message, payload)
        return {"MessageId": message.message_id, "ReplyId": p.get("ReplyId", ""), "Description": "",
                "ReplyStatus": "Acknowledged" if changed else "NoActionTaken"}

    def fail_message(self, region, p):
        if p.get("FailureType") not in FAILURE_TYPES:
            raise AwsError("ValidationException", "FailureType must be one of %s." % ", ".join(FAILURE_TYPES))
        self.commands.fail(region, self._message(region, p), p["FailureType"])
        return {}

    def delete_message(self, region, p):
        message = self._message(region, p)
        region.mailboxes.get(message.message_id.rsplit(".", 1)[-1], {}).pop(message.message_id, None)
        return {}
