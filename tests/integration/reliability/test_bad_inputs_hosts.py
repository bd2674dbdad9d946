"""The bad-input table, host side: the roles on one real sandbox host (systemd, Debian 12) against an
emulator and the package mirror reachable from it.

All rows share the one host, in file order; each compares the host's state (agent packages, agent
config and registration files, active units) and the control plane's state before and after the row:
a bad input must change neither. A row whose preparation needs a package on the host (registration
needs the SSM agent installed) says so, and its check is that nothing beyond that was left behind.
"""
import datetime
import json
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from bad_input_fixtures import ROLE, TRUST, HostRoles, Row, api_state, assert_says, gpg_keys, host_state
from tests.sandbox import settings

# Run with `-n 2 --dist loadfile` so one worker takes every row and they share one host (plain `-n` would
# spread the rows and start a host, emulator and mirror per worker).
pytestmark = pytest.mark.hosts

SSM_PACKAGE = "/amazon-ssm-%s/latest/debian_amd64/amazon-ssm-agent.deb" % settings.REGION
AMAZON_ECS_KEY = "F34C3DDAE72926B079BEAEC6BCE9D9A42D51784F"  # a real, well-formed fingerprint that did not sign the stand-ins


@pytest.fixture(scope="module")
def host(test_fleet, host_emulator):
    host_emulator.client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    host_emulator.client("ecs").create_cluster(clusterName="c1")
    (only,) = test_fleet.up(1, "bookworm")
    return only


@pytest.fixture
def roles(host, host_emulator, mirror, docker_engine, tmp_path):
    return HostRoles(host, host_emulator, mirror, docker_engine, tmp_path)


class LocalMirror:
    """A directory served over HTTP on loopback (the controller downloads and verifies packages)."""

    def __init__(self, root):
        self.proc = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(root)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port NNNNN (...)"
        self.url = "http://127.0.0.1:%d" % int(line.split(" port ")[1].split()[0])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def bad_mirror(tmp_path, packages, tamper=False, signature=True, signer=None, **sign):
    """The real SSM agent package, tampered with, without its .sig, or signed by one of `keys` instead."""
    from tests.sandbox.mirror.layout import resolve
    root = tmp_path / "mirror"
    target = root / SSM_PACKAGE.lstrip("/")
    target.parent.mkdir(parents=True)
    data = bytearray(resolve(packages, SSM_PACKAGE).read_bytes())
    if tamper:
        data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    if signer:
        signer.sign(target, ".sig", **sign)
    elif signature:
        shutil.copy(resolve(packages, SSM_PACKAGE + ".sig"), str(target) + ".sig")
    return LocalMirror(root)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    made = gpg_keys().make_keys(tmp_path_factory.mktemp("keys"))
    yield made
    for key in made.values():
        key.stop()


def activation(emulator, **kwargs):
    return emulator.client("ssm").create_activation(IamRole=ROLE, RegistrationLimit=kwargs.pop("limit", 1), **kwargs)


def consume(emulator, act):
    """Register a managed instance the way an agent does, using up one registration of `act`."""
    body = json.dumps({"ActivationId": act["ActivationId"], "ActivationCode": act["ActivationCode"], "PublicKey": "k", "PublicKeyType": "Rsa",
                       "Fingerprint": "other-host"}).encode()
    req = urllib.request.Request(emulator.url + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.RegisterManagedInstance"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["InstanceId"]


def setup_tampered(ctx):
    ctx["mirror"] = bad_mirror(ctx["tmp"], ctx["packages"], tamper=True)
    return ["ssm_agent"], {"ssm_agent_package_base_url": ctx["mirror"].url}


def setup_unsigned(ctx):
    ctx["mirror"] = bad_mirror(ctx["tmp"], ctx["packages"], signature=False)
    return ["ssm_agent"], {"ssm_agent_package_base_url": ctx["mirror"].url}


def setup_unknown_fingerprint(ctx):
    return ["ssm_agent"], {"ssm_agent_signing_key_fingerprints": [AMAZON_ECS_KEY]}


def setup_gpu(ctx):
    return ["ecs_agent"], {"ecs_agent_cluster": "c1", "ecs_agent_enable_gpu": True}


def setup_wrong_code(ctx):
    act = activation(ctx["emulator"])
    return ["ssm_agent"], {"ssm_agent_activation_id": act["ActivationId"], "ssm_agent_activation_code": "WRONGCODE" + "x" * 11}


def setup_expired(ctx):
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    act = activation(ctx["emulator"], ExpirationDate=expires)
    time.sleep(3)
    return ["ssm_agent"], {"ssm_agent_activation_id": act["ActivationId"], "ssm_agent_activation_code": act["ActivationCode"]}


def setup_exhausted(ctx):
    act = activation(ctx["emulator"], limit=1)
    consume(ctx["emulator"], act)
    return ["ssm_agent"], {"ssm_agent_activation_id": act["ActivationId"], "ssm_agent_activation_code": act["ActivationCode"]}


def setup_signed_by(name, **sign):
    """The real package with a signature by the test-made key `name`, that key file and its fingerprint pinned."""
    def setup(ctx):
        key = ctx["keys"][name]
        ctx["mirror"] = bad_mirror(ctx["tmp"], ctx["packages"], signer=key, **sign)
        return ["ssm_agent"], {"ssm_agent_package_base_url": ctx["mirror"].url, "ssm_agent_signing_key_path": str(key.public),
                               "ssm_agent_signing_key_fingerprints": [key.fpr]}
    return setup


INJECTED = "\nExecStartPre=/bin/touch /tmp/hf-injected"


def setup_values(roles, **values):
    def setup(ctx):
        return roles, dict(values)
    return setup


DOCKER_PLACEHOLDER = "[Unit]\nDescription=placeholder for dockerd (ecs.service Requires docker.service)\n[Service]\nExecStart=/bin/sleep infinity\n"


def setup_port_taken(ctx):
    # Something else (here a plain web server) holds the agent's introspection port.
    host = ctx["host"]
    host.exec("systemd-run --unit hf-port-squatter python3 -m http.server 51678")
    # ecs.service Requires docker.service; a placeholder unit stands in for the Docker engine so the row
    # shows what happens to the port (installing docker.io would add a minute and nothing to this case).
    host.exec("cat > /etc/systemd/system/docker.service && systemctl daemon-reload", input=DOCKER_PLACEHOLDER)

    def undo():
        host.exec("systemctl stop hf-port-squatter ecs docker; rm -f /etc/systemd/system/docker.service; systemctl daemon-reload; "
                  "systemctl reset-failed", check=False)
    ctx["cleanup"].append(undo)
    return ["ecs_agent"], {"ecs_agent_cluster": "c1", "ecs_agent_register_timeout": 10}


def setup_bad_daemon_json(ctx):
    # Preparation: the Docker engine installed and running with its default configuration (the role, good inputs).
    rc, out = ctx["roles"].run(["docker_engine"], {"docker_engine_verify_run_container": False})
    assert rc == 0, out[-3000:]
    return ["docker_engine"], {"docker_engine_daemon_config": {"log-driver": "json-file", "bogus-option": True},
                               "docker_engine_verify_run_container": False, "docker_engine_start_timeout": 20}


HOST_ROWS = [
    Row("host-tampered-package", "host (ssm_agent)", "SSM agent package with one byte changed, real signature",
        ["Signature check FAILED", "the file does not match its signature", "The package was deleted and nothing was installed"],
        ["Check the mirror contents and ssm_agent_package_base_url"], {"setup": setup_tampered}),
    Row("host-unsigned-package", "host (ssm_agent)", "SSM agent package served without its .sig",
        ["amazon-ssm-agent.deb.sig could not be downloaded", "nothing was installed"],
        ["holds each package beside its .sig file"], {"setup": setup_unsigned}),
    Row("host-unknown-fingerprint", "host (ssm_agent)", "a good signature by a key whose fingerprint is not pinned",
        ["Signature check FAILED", "allowed: " + AMAZON_ECS_KEY, "nothing was installed"], ["ssm_agent_signing_key_fingerprints"],
        {"setup": setup_unknown_fingerprint}),
    Row("host-revoked-signing-key", "host (ssm_agent)", "package signed by a pinned key whose revocation is in the key file",
        ["Signature check FAILED", "(revoked), which is never trusted", "nothing was installed"], ["ssm_agent_signing_key_fingerprints"],
        {"setup": setup_signed_by("R")}),
    Row("host-expired-signing-key", "host (ssm_agent)", "package signed (while it was valid) by a pinned key that has expired",
        ["Signature check FAILED", "(expired), which is never trusted", "nothing was installed"], ["ssm_agent_signing_key_fingerprints"],
        {"setup": setup_signed_by("E", faked="20200101T010000")}),
    Row("host-expired-signing-subkey", "host (ssm_agent)", "pinned primary key valid, its signing subkey expired (gpg exits 0, EXPKEYSIG)",
        ["Signature check FAILED", "the signing key has expired", "nothing was installed"], ["ssm_agent_signing_key_fingerprints"],
        {"setup": setup_signed_by("X", faked="20200101T010000")}),
    Row("host-newline-in-no-proxy", "host (ecs_agent)", "ecs_agent_no_proxy with a newline and an ExecStartPre= after it",
        ["Invalid ecs_agent_no_proxy", "comma-separated list"], ["Fix it in the inventory or the play"],
        {"setup": setup_values(["ecs_agent"], ecs_agent_cluster="c1", ecs_agent_http_proxy="http://proxy:3128",
                               ecs_agent_no_proxy="10.0.0.0/8" + INJECTED)}),
    Row("host-newline-in-backend-host", "host (ecs_agent)", "ecs_agent_backend_host with a second ECS_CLUSTER= line",
        ["Invalid ecs_agent_backend_host", "one line without spaces"], ["Fix it in the inventory or the play"],
        {"setup": setup_values(["ecs_agent"], ecs_agent_cluster="c1", ecs_agent_backend_host="http://ecs.local\nECS_CLUSTER=other")}),
    Row("host-ecs-cluster-in-extra-config", "host (ecs_agent)", "ecs_agent_extra_config naming ECS_CLUSTER",
        ["ecs_agent_extra_config sets ECS_CLUSTER, which the role writes itself"], ["Set ecs_agent_cluster for ECS_CLUSTER instead"],
        {"setup": setup_values(["ecs_agent"], ecs_agent_cluster="c1", ecs_agent_extra_config={"ECS_CLUSTER": "other"})}),
    Row("host-newline-in-repo-url", "host (docker_engine)", "docker_engine_repo_url with a newline (a second repository line)",
        ["Invalid docker_engine_repo_url", "one line without spaces"], ["Fix it in the inventory or the play"],
        {"setup": setup_values(["docker_engine"], docker_engine_install_source="docker",
                               docker_engine_repo_url="https://mirror.example/docker\nTypes: deb")}),
    Row("host-gpu-without-nvidia-smi", "host (ecs_agent)", "ecs_agent_enable_gpu on a host without nvidia-smi",
        ["nvidia-smi was not found"], ["Install the NVIDIA driver and container toolkit first", "ecs_agent_enable_gpu: false"],
        {"setup": setup_gpu}),
    Row("host-activation-wrong-code", "host (ssm_agent)", "activation id with the wrong code",
        ["InvalidActivation", "Nothing was left registered"], ["Check that the activation id and code belong together"],
        {"setup": setup_wrong_code, "installs": ["amazon-ssm-agent"]}),
    Row("host-activation-expired", "host (ssm_agent)", "activation that expired before the host registered",
        ["ActivationExpired", "Nothing was left registered"], ["the activation has not expired"],
        {"setup": setup_expired, "installs": ["amazon-ssm-agent"]}),
    Row("host-activation-exhausted", "host (ssm_agent)", "activation whose registration limit is used up",
        ["InvalidActivation", "Nothing was left registered"], ["reached its registration limit"],
        {"setup": setup_exhausted, "installs": ["amazon-ssm-agent"]}),
    Row("host-port-51678-taken", "host (ecs_agent)", "another process listens on the agent's introspection port 51678",
        ["Port 51678", "is in use by another process"], ["Stop or move that process"], {"setup": setup_port_taken}),
    Row("host-bad-daemon-json", "host (docker_engine)", "docker_engine_daemon_config with an option dockerd does not know",
        ["refused the daemon.json rendered from docker_engine_daemon_config", "bogus-option", "previous configuration was put back"],
        ["Fix docker_engine_daemon_config"], {"setup": setup_bad_daemon_json}),
]


@pytest.mark.parametrize("row", [r.param() for r in HOST_ROWS])
def test_host_bad_input(row, host, roles, host_emulator, sandbox_packages, keys, tmp_path):
    ctx = {"tmp": tmp_path, "packages": sandbox_packages, "emulator": host_emulator, "host": host, "roles": roles, "cleanup": [],
           "keys": keys}
    try:
        role_list, extra = row.spec["setup"](ctx)
        api_before, host_before = api_state(host_emulator), host_state(host)
        rc, out = roles.run(role_list, extra)
        api_after, host_after = api_state(host_emulator), host_state(host)
    finally:
        if "mirror" in ctx:
            ctx["mirror"].stop()
        for undo in ctx["cleanup"]:
            undo()
    assert rc != 0, out
    assert_says(out, row)
    assert "WRONGCODE" not in out  # the code is never printed, even a wrong one
    assert api_after == api_before
    # Registration needs the agent package; it may stay installed, but nothing else may change.
    allowed = set(row.spec.get("installs", []))
    assert set(host_after["pkg"]) - set(host_before["pkg"]) <= allowed, (host_before, host_after)
    assert host_after["file"] == [f for f in host_after["file"] if f in host_before["file"] or f == "/etc/amazon/ssm/amazon-ssm-agent.json"
                                  and allowed], (host_before, host_after)
    assert set(host_after["unit"]) <= set(host_before["unit"]), (host_before, host_after)
    assert "/var/lib/amazon/ssm/registration" not in host_after["file"]
    assert host.exec("test -e /tmp/hf-injected", check=False).returncode != 0  # no injected line ever ran
