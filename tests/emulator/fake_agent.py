"""A fake SSM agent for tests: answers Run Command through the emulator's ec2messages calls, as the real agent does
(GetMessages, SendReply InProgress, AcknowledgeMessage, then SendReply with the result), without running anything.

    with FakeAgent(url, ["mi-..."], behave=lambda instance_id, commands: Result(stdout="hi\\n")) as agent:
        ...
    agent.seen  # [(instance_id, payload)] in the order the messages came

A behaviour returns a Result (or None to take the message and never answer, as an agent that dies mid-command).
Set the emulator's config message_long_poll to ~1 s so that stopping the agent is quick.
"""
import dataclasses
import json
import threading
import time
import urllib.error
import urllib.request
import uuid

TARGET = "EC2WindowsMessageDeliveryService."
PLUGIN = "aws:runShellScript"


@dataclasses.dataclass
class Result:
    status: str = "Success"     # the agent's documentStatus: Success, Failed, TimedOut, Cancelled
    code: int = 0
    stdout: str = ""
    stderr: str = ""
    output: str = None          # the plugin's combined output (default: stdout, then stderr)
    trace: str = ""
    delay: float = 0.0          # seconds "running" before the answer


def mds(url, operation, body, region=None, timeout=15):
    """One raw ec2messages call: (HTTP status, JSON body)."""
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + operation}
    if region:
        headers["X-Emulator-Region"] = region
    request = urllib.request.Request(url.rstrip("/") + "/", data=json.dumps(body).encode(), headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def reply_payload(status, result=None):
    plugin = None
    if result is not None:
        output = result.output if result.output is not None else result.stdout + result.stderr
        plugin = {PLUGIN: {"status": status, "code": result.code, "name": PLUGIN, "output": output,
                           "startDateTime": "2026-01-01T00:00:00.000Z", "endDateTime": "2026-01-01T00:00:02.250Z",
                           "standardOutput": result.stdout, "standardError": result.stderr}}
    return json.dumps({"additionalInfo": {"agent": {"name": "fake-agent"}, "dateTime": "", "runId": "",
                                          "runtimeStatusCounts": {}},
                       "documentStatus": status, "documentTraceOutput": result.trace if result else "",
                       "runtimeStatus": plugin})


class FakeAgent:
    def __init__(self, url, instance_ids, behave=None, region=None, cancel_delay=0.0):
        self.url = url
        self.cancel_delay = cancel_delay  # seconds before a cancel message is acted on
        self.instance_ids = list(instance_ids)
        self.behave = behave or (lambda instance_id, commands: Result())
        self.region = region
        self.seen = []
        self.cancels = []
        self.errors = []
        self.stopped = threading.Event()
        self.running = {}  # message id -> threading.Event set by a cancel
        self.threads = [threading.Thread(target=self._poll, args=(i,), daemon=True) for i in self.instance_ids]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def call(self, operation, body, timeout=15):
        return mds(self.url, operation, body, self.region, timeout)

    def _poll(self, instance_id):
        while not self.stopped.is_set():
            try:
                status, answer = self.call("GetMessages", {"Destination": instance_id, "MessagesRequestId": str(uuid.uuid4()),
                                                           "VisibilityTimeoutInSeconds": 10})
            except OSError as err:
                self.errors.append(err)
                time.sleep(0.2)
                continue
            if status != 200:
                self.errors.append(answer)
                time.sleep(0.2)
                continue
            for message in answer.get("Messages", []):
                self._handle(instance_id, message)

    def _handle(self, instance_id, message):
        payload = json.loads(message["Payload"])
        message_id = message["MessageId"]
        if message["Topic"].startswith("aws.ssm.cancelCommand"):
            self.cancels.append((instance_id, payload["CancelMessageId"]))
            time.sleep(self.cancel_delay)
            self.call("AcknowledgeMessage", {"MessageId": message_id})
            event = self.running.get(payload["CancelMessageId"])
            if event:
                event.set()
            return
        self.seen.append((instance_id, payload))
        self.call("SendReply", {"MessageId": message_id, "ReplyId": str(uuid.uuid4()),
                                "Payload": reply_payload("InProgress")})
        self.call("AcknowledgeMessage", {"MessageId": message_id})
        self.running[message_id] = threading.Event()
        threading.Thread(target=self._run, args=(instance_id, message_id, payload), daemon=True).start()

    def _run(self, instance_id, message_id, payload):
        result = self.behave(instance_id, payload["Parameters"]["commands"])
        if result is None:
            return
        if self.running[message_id].wait(result.delay):
            result = Result(status="Cancelled", code=137)
        self.call("SendReply", {"MessageId": message_id, "ReplyId": str(uuid.uuid4()),
                                "Payload": reply_payload(result.status, result)})
