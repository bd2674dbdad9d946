"""What every module shares: rendered docs, the action group, credentials handling, user agent, throttling."""
import http.server
import threading
import urllib.request

import pytest

MODULES = ["ssm_activation", "ssm_activation_info", "ssm_managed_instance", "ssm_managed_instance_info",
           "ecs_container_instance", "ecs_container_instance_info", "ecs_cluster"]


def test_every_module_documents_itself(ansible_doc):
    docs = ansible_doc(*MODULES)
    for name, entry in docs.items():
        doc = entry["doc"]
        assert doc["version_added"] == "0.1.0", name
        assert doc["attributes"]["check_mode"]["support"] == "full", name
        assert "hybridfleet.ecs_anywhere.aws" in doc["attributes"]["action_group"]["membership"], name
        assert "hybridfleet.ecs_anywhere." + name in entry["examples"], name
        assert entry["return"], name
    code_doc = docs["ssm_activation"]["return"]["activation"]["contains"]["code"]["description"]
    assert "Secret" in " ".join(code_doc)


def test_module_defaults_through_the_action_group(play, emulator):
    emulator.seed("grouped", 2)
    defaults = {"group/hybridfleet.ecs_anywhere.aws": {"region": "us-east-1", "endpoint_url": emulator.url}}
    results = play(
        {"ecs_cluster": {"name": "grouped"}},
        {"ecs_container_instance_info": {"cluster": "grouped"}},
        {"ssm_managed_instance_info": {}},
        {"ssm_activation_info": {}},
        drop_env=("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"), module_defaults=defaults,
    )
    cluster, instances, managed, activations = results
    assert cluster["changed"] is False and cluster["cluster"]["cluster_name"] == "grouped"
    assert len(instances["container_instances"]) == 2 and len(managed["instances"]) == 2
    assert len(activations["activations"]) == 1


def test_without_region_the_error_says_so(play, emulator):
    (result,) = play({"ssm_activation_info": {}, "expect_failure": True}, drop_env=("AWS_REGION", "AWS_DEFAULT_REGION"))
    assert "requires a region" in result["msg"]


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Forwards to the emulator and keeps the headers the SDK sent."""

    target = None
    seen = []

    def do_POST(self):  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append({"token": self.headers.get("X-Amz-Security-Token"), "agent": self.headers.get("User-Agent", "")})
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(self.target + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, payload, out_headers = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as err:
            status, payload, out_headers = err.code, err.read(), err.headers
        self.send_response(status)
        for key in ("Content-Type", "x-amzn-RequestId"):
            if out_headers.get(key):
                self.send_header(key, out_headers[key])
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder(emulator):
    handler = type("Recorder", (_Recorder,), {"target": emulator.url, "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_legacy_security_token_is_used_and_user_agent_names_the_collection(play, recorder):
    handler, url = recorder
    play({"ssm_activation_info": {}}, env={"AWS_ENDPOINT_URL": url, "AWS_SECURITY_TOKEN": "legacy-token"}, drop_env=("AWS_SESSION_TOKEN",))
    assert handler.seen and {s["token"] for s in handler.seen} == {"legacy-token"}
    assert all("hybridfleet.ecs_anywhere/0.1.0" in s["agent"] for s in handler.seen)
    handler.seen.clear()
    play({"ssm_activation_info": {}}, env={"AWS_ENDPOINT_URL": url, "AWS_SECURITY_TOKEN": "legacy-token", "AWS_SESSION_TOKEN": "new-token"})
    assert {s["token"] for s in handler.seen} == {"new-token"}


def test_every_module_survives_throttling(play, emulator, iam_role):
    seeded = emulator.seed("throttled", 30)
    emulator.faults(throttle_rate=0.3, seed=1)
    mids = seeded["managed_instance_ids"]
    results = play(
        {"ecs_cluster": {"name": "throttled-new", "container_insights": "enabled", "tags": {"a": "b"}}},
        {"ecs_container_instance_info": {"cluster": "throttled"}},
        {"ecs_container_instance": {"cluster": "throttled", "managed_instance_id": mids[:12], "state": "draining", "wait": True,
                                    "poll_interval": 1, "attributes": {"site": "p7"}}},
        {"ecs_container_instance": {"cluster": "throttled", "managed_instance_id": mids[12], "state": "deregistered"}},
        {"ssm_activation": {"iam_role": iam_role}, "no_log": True},
        {"ssm_activation_info": {}},
        {"ssm_activation": {"state": "absent", "activation_id": "{{ r4.activation.id }}"}},
        {"ssm_managed_instance_info": {}},
        {"ssm_managed_instance": {"instance_id": mids[0], "tags": {"site": "p7"}}},
        {"ssm_managed_instance": {"instance_id": mids[1], "state": "absent"}},
        {"ecs_cluster": {"name": "throttled-new", "state": "absent"}},
    )
    emulator.faults()
    assert all(not r.get("failed") for r in results)
    assert len(results[1]["container_instances"]) == 30 and len(results[7]["instances"]) == 30
    assert all(c["status"] == "DRAINING" for c in results[2]["container_instances"])
    assert results[3]["container_instances"][0]["status"] == "INACTIVE"
    assert results[6]["changed"] and results[9]["changed"]
