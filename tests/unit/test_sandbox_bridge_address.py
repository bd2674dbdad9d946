"""How sandbox hosts reach this machine, from what `docker network inspect bridge` says on each engine."""
import pytest

from tests.sandbox.settings import NoBridgeError, bridge_address_from

# Debian's docker.io 20.10 on a fresh data root: no Gateway in IPAM.Config.
FRESH = {"IPAM": {"Config": [{"Subnet": "172.17.0.0/16"}]},
         "Options": {"com.docker.network.bridge.name": "docker0"}}


def no_interface(name):
    return ""


def test_gateway_when_the_engine_reports_one():
    network = {"IPAM": {"Config": [{"Subnet": "10.9.0.0/24", "Gateway": "10.9.0.254"}]}}
    assert bridge_address_from(network, no_interface) == "10.9.0.254"


def test_fresh_engine_reads_the_bridge_interface():
    seen = []

    def interface(name):
        seen.append(name)
        return "172.17.0.1"
    assert bridge_address_from(FRESH, interface) == "172.17.0.1"
    assert seen == ["docker0"]


def test_custom_bridge_name_and_no_address_yet_falls_back_to_the_subnet():
    network = {"IPAM": {"Config": [{"Subnet": "192.168.77.0/24"}]}, "Options": {"com.docker.network.bridge.name": "br-lab"}}
    assert bridge_address_from(network, no_interface) == "192.168.77.1"


def test_nothing_to_go_by_is_an_error_not_a_guess():
    with pytest.raises(NoBridgeError):
        bridge_address_from({"IPAM": {"Config": []}}, no_interface)
