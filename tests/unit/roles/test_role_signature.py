"""Package signature checking, fail closed: the shared signed_package role run for real, with each
role's own download descriptor, against a local HTTP mirror in the S3 layout, with throw-away gpg keys
made by the real gpg (tests/unit/roles/gpgkeys.py).

Good signature by a pinned primary key (also through a signing subkey) -> the package reaches the host
directory. Tampered package, signature by an unpinned key (even one in the key file), no signature,
an expired or revoked key, an expired signing subkey, an expired signature -> the run fails naming
why, the cached package is deleted and nothing reaches the host. Docker's repository keyring holds the
pinned key and nothing else of the file it came from.
"""
import functools
import http.server
import threading

import pytest

from conftest import PLATFORMS, include_role_vars, recap, run_playbook
from gpgkeys import PAST, gpg, keyfile, make_keys

ROLES = {
    # case: (path of the file under the mirror for debian12 / x86_64, signature suffix, file on the host)
    "ssm_agent": ("amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb", ".sig", "amazon-ssm-agent.deb"),
    "ecs_agent": ("amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.amd64.deb", ".asc", "amazon-ecs-init.deb"),
    # ecs_agent's ECS Exec binaries: same downloader, the SSM agent's bucket, key variables and .sig.
    "ecs_agent_exec": ("amazon-ssm-us-east-1/3.3.1611.0/linux_amd64/amazon-ssm-agent-binaries.tar.gz", ".sig",
                       "amazon-ssm-agent-binaries-3.3.1611.0.tar.gz"),
}
ARM_SSM = "amazon-ssm-us-east-1/latest/linux_arm64/amazon-ssm-agent.rpm"
SIGNED_LATER = PAST[:9] + "01" + PAST[11:]  # an hour after the expired keys were made: while they were valid


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    base = tmp_path_factory.mktemp("keys")
    made = make_keys(base)
    made["keyfile"] = keyfile(base / "both.gpg", made["A"], made["B"])  # A pinned, B in the file but not pinned
    yield made
    for key in made.values():
        if hasattr(key, "stop"):
            key.stop()


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


def publish(root, path, content, signer=None, suffix=".sig", tamper=False, **sign):
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    if signer:
        signer.sign(target, suffix, **sign)
    if tamper:
        target.write_bytes(content + b"tampered")


DESCRIPTORS = {"ssm_agent": "_ssm_agent_package_download", "ecs_agent": "_ecs_agent_package_download",
               "ecs_agent_exec": "_ecs_agent_exec_download"}


def fetch(tmp_path, base_url, hosts, cases=tuple(ROLES), on_host=False):
    """The shared fetch, once per case in `cases` (each with its role's descriptor, as the role's install.yml
    passes it), for `hosts` ({name: {"facts":, "key":, "pins":, "mirror": subdirectory}})."""
    inventory = {}
    for name, spec in hosts.items():
        host = {"facts": spec["facts"], "ecs_agent_cluster": "c1", "ecs_agent_exec_enabled": True}
        for role in ("ssm_agent", "ecs_agent", "ecs_agent_exec"):
            host[role + "_signing_key_path"] = str(spec["key"])
            host[role + "_signing_key_fingerprints"] = spec["pins"]
        for role in ("ssm_agent", "ecs_agent"):
            host[role + "_package_base_url"] = base_url + "/" + spec.get("mirror", "")
            host[role + "_host_cache_dir"] = str(tmp_path / ("host-" + name))
        inventory[name] = host
    tasks = [include_role_vars("ssm_agent"), include_role_vars("ecs_agent")]
    for case in cases:
        role = "ecs_agent" if case.startswith("ecs_agent") else case
        tasks.append({"name": "Download and verify " + case,
                      "ansible.builtin.include_role": {"name": "hybridfleet.ecs_anywhere.signed_package"},
                      "vars": {"signed_package_file": "{{ %s }}" % DESCRIPTORS[case],
                               "signed_package_via_controller": not on_host,
                               "signed_package_controller_cache_dir": str(tmp_path / "cache")}})
    dummy, out = run_playbook(tmp_path, inventory, tasks, expect_rc=None)
    return out


def host_files(tmp_path, host="*"):
    return sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("host-%s/*" % host) if p.is_file())


def message_about(out, path):
    """The failure message that names `path` (ansible prints one per host, folded over lines)."""
    text = " ".join(out.split())
    at = text.find(path)
    assert at >= 0, "no message names %s:\n%s" % (path, out[-4000:])
    return text[at:at + 1500]


def assert_refused(tmp_path, out, *phrases):
    # A failed run_once task stops every host of the play (ansible marks them all failed, though the
    # recap counts the failure once): no host goes on to install.
    assert sum(s["failed"] for s in recap(out).values()) >= 1, out
    assert "Copy the verified file to the host" not in out, out
    text = " ".join(out.split())
    for phrase in phrases:
        assert phrase in text, (phrase, out[-4000:])
    # Nothing reached a host, and no unverified package stays in the cache.
    assert host_files(tmp_path) == []
    assert [p.name for p in (tmp_path / "cache").glob("*") if not p.name.endswith((".sig", ".asc"))] == []


def test_good_signatures_reach_the_hosts(tmp_path, mirror, keys):
    """The three artefacts, fetched in turn as ecs_agent fetches two; two distinct SSM packages with the
    same basename (deb amd64, rpm arm64) are downloaded and verified once each on the controller."""
    root, url = mirror
    for role, (path, suffix, dummy) in ROLES.items():
        publish(root, path, b"package for " + role.encode(), keys["A"], suffix)
    for path, suffix in (("amazon-ssm-us-east-1/latest/linux_arm64/amazon-ssm-agent.rpm", ".sig"),
                         ("amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.aarch64.rpm", ".asc"),
                         ("amazon-ssm-us-east-1/3.3.1611.0/linux_arm64/amazon-ssm-agent-binaries.tar.gz", ".sig")):
        publish(root, path, b"arm " + path.encode(), keys["A"], suffix)
    good = {"key": keys["keyfile"], "pins": [keys["A"].fpr]}
    out = fetch(tmp_path, url, {"debian12": dict(good, facts=PLATFORMS["debian12"]),
                                "debian12_b": dict(good, facts=PLATFORMS["debian12"]),
                                "al2023_arm": dict(good, facts=PLATFORMS["al2023_arm"])})
    assert all(s["failed"] == 0 for s in recap(out).values()), out
    assert out.count("good signature by a pinned key") == 6, out
    for host in ("debian12", "debian12_b"):
        for role, (dummy, dummy2, on_host) in ROLES.items():
            assert (tmp_path / ("host-" + host) / on_host).read_bytes() == b"package for " + role.encode()
    assert (tmp_path / "host-al2023_arm" / "amazon-ssm-agent.rpm").read_bytes() == \
        b"arm amazon-ssm-us-east-1/latest/linux_arm64/amazon-ssm-agent.rpm"
    cached = sorted(p.name.split("-", 1)[1] for p in (tmp_path / "cache").iterdir() if not p.name.endswith((".sig", ".asc")))
    assert cached == sorted(["amazon-ecs-init-1.105.1-1.aarch64.rpm", "amazon-ecs-init-1.105.1-1.amd64.deb",
                             "amazon-ssm-agent-binaries.tar.gz", "amazon-ssm-agent-binaries.tar.gz",
                             "amazon-ssm-agent.deb", "amazon-ssm-agent.rpm"])


# On the controller a failure stops the whole batch, so each case there is a run of its own: a tampered
# package and a missing signature. The other cases run side by side on the host path below, which
# verifies with the same task files.
@pytest.mark.parametrize("case", ["tampered", "no_signature"])
def test_refused_on_the_controller(tmp_path, mirror, keys, case):
    root, url = mirror
    path, suffix, dummy = ROLES["ssm_agent"]
    publish(root, path, b"payload", keys["A"] if case == "tampered" else None, suffix, tamper=(case == "tampered"))
    spec = {"key": keys["keyfile"], "pins": [keys["A"].fpr], "facts": PLATFORMS["debian12"]}
    out = fetch(tmp_path, url, {"debian12": spec, "debian12_b": spec}, cases=["ssm_agent"])
    if case == "no_signature":
        assert_refused(tmp_path, out, "amazon-ssm-agent.deb.sig could not be downloaded to the controller",
                       "HTTP Error 404", "holds each package beside its .sig file", "nothing was installed")
    else:
        assert_refused(tmp_path, out, "Signature check FAILED", "the file does not match its signature",
                       "The package was deleted and nothing was installed",
                       "ssm_agent_package_base_url, ssm_agent_version, ssm_agent_signing_key_path")


# case: (signer, signing options, key file, pins, what the message says); {A}, {E}... are fingerprints.
HOST_CASES = {
    "tampered": ("A", {"tamper": True}, "keyfile", ["A"], ["the file does not match its signature"]),
    # B is in the key file, but only pinned keys reach the keyring that checks signatures.
    "unpinned": ("B", {}, "keyfile", ["A"], ["it was made by a key that is not pinned", "signed by {B}", "allowed: {A}"]),
    # gpg exits 0 for the next three and prints VALIDSIG: only its status lines, or the key's validity, tell.
    "expired_key": ("E", {"faked": SIGNED_LATER}, "E", ["E"], ["holds the pinned key {E} (expired), which is never trusted"]),
    "revoked_key": ("R", {}, "R", ["R"], ["holds the pinned key {R} (revoked), which is never trusted"]),
    "expired_subkey": ("X", {"faked": SIGNED_LATER}, "X", ["X"], ["the signing key has expired"]),
    # gpg exits 1 here, and says EXPSIG rather than BADSIG.
    "expired_signature": ("S", {"faked": SIGNED_LATER, "expire": "1d"}, "S", ["S"], ["the signature has expired"]),
    "pin_not_in_key_file": ("A", {}, "B", ["A"], ["holds none of the pinned keys (allowed: {A}; it holds: {B})"]),
}


def test_refused_on_the_host_and_good_ones_kept(tmp_path, mirror, keys):
    """signed_package_via_controller: false, one fake host per case, each with its own mirror directory, key
    file and pins: the same downloader fetches (fetch.py) and verifies on the host itself (here localhost).
    Only a verified file reaches its path; a refused one is deleted, and the message says why. Two good
    case runs alongside: a certify-only primary that signs with its subkey (as AWS's keys do), only the
    primary pinned."""
    root, url = mirror
    fpr = {name: key.fpr for name, key in keys.items() if hasattr(key, "fpr")}
    path, suffix, on_host = ROLES["ssm_agent"]
    hosts = {}
    for case, (signer, sign, keyname, pins, dummy) in HOST_CASES.items():
        sign = dict(sign)
        tamper = sign.pop("tamper", False)
        publish(root / case, path, b"payload", keys[signer], suffix, tamper=tamper, **sign)
        hosts[case] = {"facts": PLATFORMS["debian12"], "mirror": case,
                       "key": keys["keyfile"] if keyname == "keyfile" else keys[keyname].public,
                       "pins": [fpr[p] for p in pins]}
    publish(root / "no_signature", path, b"payload", None, suffix)
    hosts["no_signature"] = {"facts": PLATFORMS["debian12"], "mirror": "no_signature", "key": keys["keyfile"], "pins": [fpr["A"]]}
    publish(root / "subkey", path, b"payload", keys["K"], suffix)
    hosts["subkey"] = {"facts": PLATFORMS["debian12"], "mirror": "subkey", "key": keys["K"].public, "pins": [fpr["K"]]}

    out = fetch(tmp_path, url, hosts, cases=["ssm_agent"], on_host=True)
    stats = recap(out)
    for case, (dummy, dummy2, dummy3, dummy4, phrases) in HOST_CASES.items():
        assert stats[case]["failed"] == 1, (case, out[-3000:])
        message = message_about(out, "Signature check FAILED for %s/host-%s/download-amazon-ssm-agent.deb" % (tmp_path, case))
        for phrase in phrases + ["The package was deleted and nothing was installed", "ssm_agent_signing_key_fingerprints"]:
            assert phrase.format(**fpr) in message, (case, phrase, message)
        assert not (tmp_path / ("host-" + case) / on_host).exists()
        assert not (tmp_path / ("host-" + case) / ("download-" + on_host)).exists(), case
    assert stats["no_signature"]["failed"] == 1, out
    assert "could not be downloaded on no_signature (HTTP Error 404" in " ".join(out.split())
    assert stats["subkey"]["failed"] == 0 and (tmp_path / "host-subkey" / on_host).read_bytes() == b"payload"
    assert not (tmp_path / "cache").exists()  # nothing went through the controller


def test_exec_tarball_on_the_host(tmp_path, mirror, keys):
    """The ECS Exec tarball through the host path (its own descriptor, bucket and .sig)."""
    root, url = mirror
    path, suffix, on_host = ROLES["ecs_agent_exec"]
    publish(root, path, b"binaries", keys["A"], suffix)
    out = fetch(tmp_path, url, {"debian12": {"facts": PLATFORMS["debian12"], "key": keys["keyfile"], "pins": [keys["A"].fpr]}},
                cases=["ecs_agent_exec"], on_host=True)
    assert all(s["failed"] == 0 for s in recap(out).values()), out
    assert (tmp_path / "host-debian12" / on_host).read_bytes() == b"binaries"


# --- Docker's repository key: only the pinned primary keys are trusted ------------------------------------------
DOCKER_SETTINGS = "docker_engine_repo_gpg_key_url / docker_engine_repo_gpg_key_fingerprints"


def primaries(home, path):
    out = gpg(home, "--with-colons", "--show-keys", str(path)).stdout.decode().splitlines()
    return [out[i + 1].split(":")[9] for i, line in enumerate(out) if line.startswith("pub:")]


def test_docker_keyring_holds_only_the_pinned_key(tmp_path, mirror, keys):
    """One fake host per case. The repository serves the pinned key plus another: the keyring apt reads holds
    the pinned one only (before, the whole downloaded file was trusted as soon as one of its keys was pinned).
    A file without the pinned key, a revoked pinned key, something that is not a key, or no key at all fail
    before the keyring exists, naming what is wrong and the settings to check."""
    root, url = mirror
    served = {"good": keys["keyfile"], "unpinned": keys["B"].public, "revoked": keys["R"].public}
    for case, source in served.items():
        (root / case).write_bytes(source.read_bytes())
    (root / "not_a_key").write_text("<html>not a key</html>")
    hosts = {case: {"facts": PLATFORMS["debian12"]} for case in ("good", "unpinned", "revoked", "not_a_key", "missing")}
    task = {"name": "Install the pinned repository key",
            "ansible.builtin.include_role": {"name": "hybridfleet.ecs_anywhere.signed_package", "tasks_from": "pinned_keyring.yml"},
            "vars": {"signed_package_key_url": url + "/{{ inventory_hostname }}",
                     "signed_package_fingerprints": "{{ [fpr_r] if inventory_hostname == 'revoked' else [fpr_a | lower] }}",
                     "signed_package_keyring": str(tmp_path / "keyrings" / "{{ inventory_hostname }}.asc"),
                     "signed_package_settings": DOCKER_SETTINGS}}
    (tmp_path / "keyrings").mkdir()
    dummy, out = run_playbook(tmp_path, hosts, [task], extra_vars={"fpr_a": keys["A"].fpr, "fpr_r": keys["R"].fpr},
                              expect_rc=None)
    stats = recap(out)
    assert stats["good"]["failed"] == 0, out
    assert primaries(keys["A"].home, keys["keyfile"]) == [keys["A"].fpr, keys["B"].fpr]  # what was served
    assert primaries(keys["A"].home, tmp_path / "keyrings" / "good.asc") == [keys["A"].fpr]  # what is trusted
    assert (tmp_path / "keyrings" / "good.asc").read_text().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    text = " ".join(out.split())
    expected = {"unpinned": "holds none of the pinned keys (allowed: %s; it holds: %s)" % (keys["A"].fpr, keys["B"].fpr),
                "revoked": "holds the pinned key %s (revoked), which is never trusted" % keys["R"].fpr,
                "not_a_key": "could not be read as OpenPGP keys",
                "missing": "could not be downloaded on missing (HTTP Error 404"}
    for case, phrase in expected.items():
        assert stats[case]["failed"] == 1, (case, out[-3000:])
        assert not (tmp_path / "keyrings" / (case + ".asc")).exists()
        assert phrase in text, (case, out[-3000:])
    assert text.count(DOCKER_SETTINGS) >= 4
