"""Package signature checking, fail closed: the roles' controller-side download path run for
real against a local HTTP mirror in the S3 layout, with throw-away gpg keys.

Good signature by a pinned key -> the package reaches the host directory. Tampered package,
signature by an unpinned key (even one present in the key file), or no signature at all ->
the run fails, the cached package is deleted and nothing reaches the host.
"""
import functools
import http.server
import subprocess
import threading

import pytest

from conftest import PLATFORMS, include_role_vars, recap, run_playbook

ROLES = {
    # case: (path of the file under the mirror for debian12 / x86_64, signature suffix, file on the host)
    "ssm_agent": ("amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb", ".sig", "amazon-ssm-agent.deb"),
    "ecs_agent": ("amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.amd64.deb", ".asc", "amazon-ecs-init.deb"),
    # ecs_agent's ECS Exec binaries: same downloader, the SSM agent's bucket, key variables and .sig.
    "ecs_agent_exec": ("amazon-ssm-us-east-1/3.3.1611.0/linux_amd64/amazon-ssm-agent-binaries.tar.gz", ".sig",
                       "amazon-ssm-agent-binaries-3.3.1611.0.tar.gz"),
}
ARM_SSM = "amazon-ssm-us-east-1/latest/linux_arm64/amazon-ssm-agent.rpm"
HOST_DOWNLOAD = {"on": False}  # test_ecs_agent_download_on_the_host turns the host-side path on


def gpg(home, *args, **kw):
    return subprocess.run(["gpg", "--batch", "--homedir", str(home), *args], check=True,
                          capture_output=True, **kw)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Two signing keys, A (pinned) and B (not pinned); a key file holding both."""
    base = tmp_path_factory.mktemp("keys")
    result = {}
    for name in ("A", "B"):
        home = base / ("home" + name)
        home.mkdir(mode=0o700)
        gpg(home, "--passphrase", "", "--quick-gen-key", "Test %s <%s@example.invalid>" % (name, name),
            "ed25519", "sign", "never")
        out = gpg(home, "--with-colons", "--list-keys").stdout.decode()
        fpr = [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]
        (base / ("pub" + name)).write_bytes(gpg(home, "--export").stdout)
        result[name] = {"home": home, "fpr": fpr}
    both = base / "both.gpg"
    both.write_bytes((base / "pubA").read_bytes() + (base / "pubB").read_bytes())
    result["keyfile"] = both
    yield result
    for name in ("A", "B"):  # gpg started an agent per home; stop it
        subprocess.run(["gpgconf", "--homedir", str(result[name]["home"]), "--kill", "gpg-agent"], check=False)


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "mirror"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def publish(root, path, content, signer=None, suffix=".sig", tamper=False):
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    if signer:
        gpg(signer["home"], "--armor", "--detach-sign", "--output", str(target) + suffix, str(target))
    if tamper:
        target.write_bytes(content + b"tampered")


def fetch(tmp_path, case, base_url, keys, hosts):
    """Run the role's controller download path for `hosts` ({name: facts})."""
    role = "ecs_agent" if case.startswith("ecs_agent") else case
    keyvar = "ecs_agent_exec" if case == "ecs_agent_exec" else role
    inventory = {
        name: {"facts": f,
               role + "_package_base_url": base_url,
               keyvar + "_signing_key_path": str(keys["keyfile"]),
               keyvar + "_signing_key_fingerprints": [keys["A"]["fpr"]],
               role + "_controller_cache_dir": str(tmp_path / "cache"),
               role + "_host_cache_dir": str(tmp_path / ("host-" + name)),
               "ecs_agent_cluster": "c1", "ecs_agent_exec_enabled": case == "ecs_agent_exec",
               "ecs_agent_download_via_controller": not HOST_DOWNLOAD["on"]}
        for name, f in hosts.items()}
    if role == "ssm_agent":
        tasks = [
            include_role_vars(role),
            # What install.yml records before delegating the download.
            {"name": "Describe the package",
             "ansible.builtin.set_fact": {"__%s_package" % role: {
                 "url": "{{ _%s_package_url }}" % role,
                 "signature_url": "{{ _%s_signature_url }}" % role,
                 "cache_name": "{{ _%s_package_cache_name }}" % role}}},
            {"name": "Download and verify on the controller",
             "ansible.builtin.include_role": {"name": "hybridfleet.ecs_anywhere." + role,
                                              "tasks_from": "download_controller.yml"}},
        ]
    else:  # one downloader, given the descriptor install.yml passes it
        descriptor = "_ecs_agent_exec_download" if case == "ecs_agent_exec" else "_ecs_agent_package_download"
        tasks = [
            include_role_vars(role),
            {"name": "Download and verify",
             "ansible.builtin.include_role": {"name": "hybridfleet.ecs_anywhere.ecs_agent",
                                              "tasks_from": "download.yml"},
             "vars": {"__ecs_agent_download": "{{ %s }}" % descriptor}},
        ]
    dummy, out = run_playbook(tmp_path, inventory, tasks, expect_rc=None)
    return out


def host_files(tmp_path):
    return sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("host-*/*") if p.is_file())


@pytest.mark.parametrize("role", sorted(ROLES))
def test_good_signature_installs(tmp_path, mirror, keys, role):
    root, url = mirror
    path, suffix, on_host = ROLES[role]
    publish(root, path, b"package for " + role.encode(), keys["A"], suffix)
    hosts = {"debian12": PLATFORMS["debian12"]}
    if role == "ssm_agent":  # two distinct packages, one download each
        publish(root, ARM_SSM, b"arm rpm", keys["A"], suffix)
        hosts["al2023_arm"] = PLATFORMS["al2023_arm"]
    out = fetch(tmp_path, role, url, keys, hosts)
    assert all(s["failed"] == 0 for s in recap(out).values()), out
    assert "good signature by a pinned key" in out
    assert (tmp_path / "host-debian12" / on_host).read_bytes() == b"package for " + role.encode()
    if role == "ssm_agent":
        pkg = "amazon-ssm-agent"
        assert (tmp_path / "host-al2023_arm" / (pkg + ".rpm")).read_bytes() == b"arm rpm"
        assert len(list((tmp_path / "cache").glob("*.rpm"))) == 1


# ecs_agent shares the download/verify task files' logic with ssm_agent (only names and the
# .asc suffix differ), so one ecs_agent package case keeps the suite fast; the ECS Exec tarball
# goes through the same ecs_agent downloader with its own key variables, so it gets the two
# cases that key pinning decides.
@pytest.mark.parametrize("role,case", [("ssm_agent", "tampered"), ("ssm_agent", "unpinned_key"),
                                       ("ssm_agent", "no_signature"), ("ecs_agent", "tampered"),
                                       ("ecs_agent_exec", "tampered"), ("ecs_agent_exec", "unpinned_key")])
def test_bad_signature_fails_closed(tmp_path, mirror, keys, role, case):
    root, url = mirror
    path, suffix, dummy = ROLES[role]
    signer = {"tampered": keys["A"], "unpinned_key": keys["B"], "no_signature": None}[case]
    publish(root, path, b"payload", signer, suffix, tamper=(case == "tampered"))
    out = fetch(tmp_path, role, url, keys, {"debian12": PLATFORMS["debian12"], "debian12_b": PLATFORMS["debian12"]})
    # A failed run_once task stops every host of the play (ansible marks them all failed,
    # though the recap counts the failure once): no host goes on to install.
    stats = recap(out)
    assert sum(s["failed"] for s in stats.values()) >= 1, out
    assert "Copy the verified package to the host" not in out
    assert "Copy the verified file to the host" not in out
    if case == "no_signature":
        assert "HTTP Error 404" in out
    else:
        assert "Signature check FAILED" in out
        assert "was deleted and nothing was installed" in out
        if case == "unpinned_key":
            assert keys["B"]["fpr"] in out  # says who signed it
    # Nothing reached a host, and no unverified package stays in the cache.
    assert host_files(tmp_path) == []
    assert [p.name for p in (tmp_path / "cache").glob("*") if not p.name.endswith((".sig", ".asc"))] == []


@pytest.mark.parametrize("case,tamper", [("ecs_agent_exec", False), ("ecs_agent", True)])
def test_ecs_agent_download_on_the_host(tmp_path, mirror, keys, case, tamper, monkeypatch):
    """ecs_agent_download_via_controller: false: the same downloader fetches and verifies on the
    host itself (here localhost); only a verified file reaches its path, a tampered one is deleted."""
    root, url = mirror
    path, suffix, on_host = ROLES[case]
    publish(root, path, b"payload", keys["A"], suffix, tamper=tamper)
    monkeypatch.setitem(HOST_DOWNLOAD, "on", True)
    out = fetch(tmp_path, case, url, keys, {"debian12": PLATFORMS["debian12"]})
    host_dir = tmp_path / "host-debian12"
    if tamper:
        assert "Signature check FAILED" in out and "was deleted and nothing was installed" in out
        assert not (host_dir / on_host).exists()
        assert [p.name for p in host_dir.iterdir() if not p.name.endswith((suffix, "-signing-key"))] == []
    else:
        assert all(s["failed"] == 0 for s in recap(out).values()), out
        assert "good signature by a pinned key" in out
        assert (host_dir / on_host).read_bytes() == b"payload"
    assert not (tmp_path / "cache").exists()  # nothing went through the controller
