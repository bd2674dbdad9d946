"""The shared value checks behind the aws_region, proxy_url, no_proxy_list, single_line, single_line_values and
pinned_signature test plugins."""
import subprocess

import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils import values
from ansible_collections.hybridfleet.ecs_anywhere.plugins.test.fleet_values import TestModule as FleetValueTests


@pytest.mark.parametrize("region", ["us-east-1", "us-gov-west-1", "cn-north-1", "eusc-de-east-1", "ap-southeast-5"])
def test_regions_aws_has(region):
    assert values.is_aws_region(region)


@pytest.mark.parametrize("region", ["us-east1", "US-EAST-1", "", "us-east-1\n", "useast", None, 1])
def test_not_regions(region):
    assert not values.is_aws_region(region)


@pytest.mark.parametrize("url", ["http://proxy.example:3128", "https://proxy:8443/", "http://u:Pa%40ss@proxy:3128",
                                 "http://10.0.0.5:3128", "http://[fd00::5]:3128", "http://proxy"])
def test_proxy_urls(url):
    assert values.is_proxy_url(url)


@pytest.mark.parametrize("url", ["proxy.example:3128", "socks5://proxy:1080", "http://proxy:3128\nExecStartPre=/bin/sh",
                                 "http://proxy:3128/path", "http://proxy:99999", "http://proxy:3128?x=1", "http://",
                                 "http://pro xy:3128", "http://proxy:0", "", None])
def test_not_proxy_urls(url):
    assert not values.is_proxy_url(url)


@pytest.mark.parametrize("value", ["", "localhost,127.0.0.1,169.254.169.254,169.254.170.2", ".corp.example, 10.0.0.0/8",
                                   "*", "registry.local:5000", "fd00::/8"])
def test_no_proxy_lists(value):
    assert values.is_no_proxy_list(value)


@pytest.mark.parametrize("value", ["localhost\nExecStartPre=/bin/sh", "a b", "local;rm", "x\r"])
def test_not_no_proxy_lists(value):
    assert not values.is_no_proxy_list(value)


@pytest.mark.parametrize("value,ok", [("hybrid-cluster", True), ("a=b c", True), ("x\nECS_CLUSTER=other", False),
                                      ("tab\there", False), ("esc\x1b[1m", False), ("del\x7f", False), (5, False)])
def test_single_line(value, ok):
    assert values.is_single_line(value) is ok


@pytest.mark.parametrize("value,ok", [
    ({"log-driver": "json-file", "labels": ["a", "b"], "debug": True, "max": 3, "x": None}, True),
    ({"Agent": {"Region": "us-east-1"}}, True),
    ({"ECS_ENGINE_AUTH_DATA": '{"https://index.docker.io/v1/":{"auth":"x"}}'}, True),
    ({"ECS_LOGLEVEL": "info\nECS_CLUSTER=other"}, False),
    ({"key\nExecStartPre=/bin/sh": "v"}, False),
    ({"nested": {"deep": ["ok", "bad\r"]}}, False),
    ("one line", True), ("two\nlines", False), (object(), False)])
def test_single_line_values(value, ok):
    assert values.is_single_line_values(value) is ok


def gpg(home, *args):
    return subprocess.run(["gpg", "--batch", "--homedir", str(home), *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def statuses(tmp_path_factory):
    """Real gpg --status-fd output: good, expired key, revoked key, expired signature, bad signature, unknown key."""
    base = tmp_path_factory.mktemp("gpg")
    data = base / "data"
    data.write_text("payload")
    made = {}
    for name, gen, sign in (("good", [], []), ("expired", ["--faked-system-time", "20200101T000000"], ["--faked-system-time", "20200101T010000"]),
                            ("revoked", [], []), ("expsig", ["--faked-system-time", "20200101T000000"],
                                                  ["--faked-system-time", "20200101T010000", "--default-sig-expire", "1d"])):
        home = base / name
        home.mkdir(mode=0o700)
        gpg(home, *gen, "--passphrase", "", "--quick-gen-key", name + " <x@example.invalid>", "ed25519", "sign",
            "1d" if name == "expired" else "never")
        fpr = [l.split(":")[9] for l in gpg(home, "--with-colons", "-k").stdout.splitlines() if l.startswith("fpr:")][0]
        gpg(home, *sign, "--detach-sign", "--output", str(base / (name + ".sig")), str(data))
        if name == "revoked":
            cert = (home / "openpgp-revocs.d" / (fpr + ".rev")).read_text().replace(":-----BEGIN", "-----BEGIN")
            (home / "rev.asc").write_text(cert)
            gpg(home, "--import", str(home / "rev.asc"))
        made[name] = (fpr, gpg(home, "--status-fd", "1", "--verify", str(base / (name + ".sig")), str(data)).stdout)
    data.write_text("tampered")
    made["bad"] = (made["good"][0], gpg(base / "good", "--status-fd", "1", "--verify", str(base / "good.sig"), str(data)).stdout)
    made["unknown"] = (made["good"][0], gpg(base / "expired", "--status-fd", "1", "--verify", str(base / "good.sig"), str(data)).stdout)
    yield made
    for name in ("good", "expired", "revoked", "expsig"):
        subprocess.run(["gpgconf", "--homedir", str(base / name), "--kill", "gpg-agent"], check=False)


@pytest.mark.parametrize("case,keyword,ok", [("good", "VALIDSIG", True), ("expired", "EXPKEYSIG", False),
                                             ("revoked", "REVKEYSIG", False), ("expsig", "EXPSIG", False),
                                             ("bad", "BADSIG", False), ("unknown", "NO_PUBKEY", False)])
def test_pinned_signature(statuses, case, keyword, ok):
    fpr, status = statuses[case]
    assert "[GNUPG:] %s " % keyword in status  # what gpg itself said
    assert values.is_pinned_signature(status, [fpr]) is ok
    assert values.is_pinned_signature(status.splitlines(), [fpr.lower()]) is ok  # lines, any case
    if case in ("expired", "revoked"):
        assert "[GNUPG:] VALIDSIG " in status  # gpg accepts these: only the other lines tell


def test_pinned_signature_needs_a_pinned_primary(statuses):
    fpr, status = statuses["good"]
    assert values.is_pinned_signature(status, ["A" * 40]) is False
    assert values.is_pinned_signature(status, []) is False
    assert values.is_pinned_signature("", [fpr]) is False
    # The primary-key field decides: a signing subkey's fingerprint is not enough.
    subkey = "[GNUPG:] VALIDSIG %s 2026-12-01 1 0 4 0 22 8 00 %s" % ("B" * 40, fpr)
    assert values.is_pinned_signature(subkey, [fpr]) is True
    assert values.is_pinned_signature(subkey, ["B" * 40]) is False


def test_the_plugin_exposes_every_check():
    assert set(FleetValueTests().tests()) == {"aws_region", "proxy_url", "no_proxy_list", "single_line", "single_line_values",
                                              "pinned_signature"}
