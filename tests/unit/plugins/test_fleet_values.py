"""The shared value checks behind the aws_region, proxy_url, no_proxy_list and single_line test plugins."""
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils import values
from ansible_collections.hybridfleet.ecs_anywhere.plugins.test.fleet_values import TestModule


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


def test_the_plugin_exposes_every_check():
    assert set(TestModule().tests()) == {"aws_region", "proxy_url", "no_proxy_list", "single_line"}
