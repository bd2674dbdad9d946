"""The sandbox proxy's pieces that need no Docker: its URL, its password, reading its access log."""
import urllib.parse

from tests.sandbox.proxy.network import ProxiedNetwork
from tests.sandbox.proxy.squid import CONFIG, ForwardProxy, new_password, parse_line


def test_the_url_carries_the_password_percent_encoded_once(tmp_path):
    proxy = ForwardProxy(tmp_path, "172.18.0.1", 3128, password="a@b%41c:d/e f", run_dir=tmp_path / "run")
    parts = urllib.parse.urlsplit(proxy.url)
    assert (parts.hostname, parts.port) == ("172.18.0.1", 3128)
    assert urllib.parse.unquote(parts.password) == "a@b%41c:d/e f"
    assert proxy.url.count("@") == 1  # only the userinfo separator
    assert proxy.plain_url == "http://172.18.0.1:3128"


def test_passwords_have_an_at_sign_and_a_percent_escape_lookalike():
    passwords = {new_password() for attempt in range(20)}
    assert len(passwords) == 20
    assert all("@" in p and "%41" in p for p in passwords)


def test_access_log_lines_parse_for_plain_and_connect_requests():
    plain = parse_line("1796159698.136 172.18.0.2 hf-proxy GET http://deb.debian.org/debian/dists/x 200 149536 -")
    assert (plain["method"], plain["host"], plain["status"], plain["bytes"]) == ("GET", "deb.debian.org", 200, 149536)
    api = parse_line("1.0 172.18.0.2 hf-proxy POST http://172.17.0.1:4566/ 200 97 AmazonSSM.UpdateInstanceInformation")
    assert (api["host"], api["target"]) == ("172.17.0.1", "AmazonSSM.UpdateInstanceInformation")
    tunnel = parse_line("1796159698.218 172.18.0.2 hf-proxy CONNECT ssm.eu-west-1.amazonaws.com:443 200 5120 -")
    assert (tunnel["method"], tunnel["host"], tunnel["user"]) == ("CONNECT", "ssm.eu-west-1.amazonaws.com", "hf-proxy")
    assert parse_line("garbage") is None


def test_requests_skip_connections_without_a_request(tmp_path):
    proxy = ForwardProxy(tmp_path, "172.18.0.1", 3128, run_dir=tmp_path / "run")
    proxy.run_dir.mkdir()
    proxy.access_log.write_text("1.000 172.18.0.1 - - error:transaction-end-before-headers 0 0 -\n"
                                "2.000 172.18.0.2 - POST http://172.17.0.1:4566/ 407 3500 AmazonSSM.X\n")
    assert [(r["method"], r["status"]) for r in proxy.requests()] == [("POST", 407)]
    assert proxy.requests(since=proxy.log_size()) == []


def test_the_config_requires_the_password_and_refuses_loopback():
    rules = [line for line in CONFIG.splitlines() if line.startswith("http_access")]
    assert rules == ["http_access deny to_localhost", "http_access allow authenticated", "http_access deny all"]


def test_network_names_give_short_distinct_bridges():
    one, other = ProxiedNetwork("hf-px123-ab12"), ProxiedNetwork("hf-px123-ab13")
    assert len(one.bridge) <= 15 and one.bridge != other.bridge and one.chain != other.chain
