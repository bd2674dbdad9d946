"""Preflight: hosts outside the supported list, and settings a spec cannot express, fail
before anything touches the host, with a message that says what to do."""
import pytest

from conftest import PLATFORMS, facts, recap, run_playbook

UNSUPPORTED = {
    "gentoo": facts("Gentoo", "2", "Gentoo"),
    "debian10": facts("Debian", "10", "Debian", version="10.13", release="buster"),
    "ubuntu1804": facts("Ubuntu", "18", "Debian", version="18.04", release="bionic"),
    "rocky9_s390x": facts("Rocky", "9", "RedHat", arch="s390x"),
}


def preflight(role):
    return {"name": "Run %s preflight" % role,
            "ansible.builtin.include_role": {"name": "hybridfleet.ecs_anywhere." + role,
                                             "tasks_from": "preflight.yml"}}


@pytest.mark.parametrize("role", ["docker_engine", "ssm_agent", "ecs_agent"])
def test_unsupported_platform_fails_preflight(tmp_path, role):
    hosts = {name: {"facts": f, "ecs_agent_cluster": "c1"} for name, f in UNSUPPORTED.items()}
    dummy, out = run_playbook(tmp_path, hosts, [preflight(role)], expect_rc=2)
    for name, f in UNSUPPORTED.items():
        expected = "%s does not support %s %s on %s" % (
            role, f["distribution"], f["distribution_major_version"], f["architecture"])
        assert expected in out, out
        assert "Supported: Debian 11-13, Ubuntu 20.04-24.04" in out
    stats = recap(out)
    assert set(stats) == set(UNSUPPORTED)
    assert all(s["failed"] == 1 for s in stats.values()), stats


def test_preflight_rejects_bad_settings(tmp_path):
    base = PLATFORMS["debian12"]
    hosts = {
        "no_cluster": {"facts": base},
        "bad_version": {"facts": base, "ecs_agent_cluster": "c1", "ecs_agent_version": "latestish"},
        "bad_fpr": {"facts": base, "ecs_agent_cluster": "c1", "ecs_agent_signing_key_fingerprints": ["abc"]},
        "gpu_without_driver": {"facts": base, "ecs_agent_cluster": "c1", "ecs_agent_enable_gpu": True},
        "good": {"facts": base, "ecs_agent_cluster": "c1"},
    }
    dummy, out = run_playbook(tmp_path, hosts, [preflight("ecs_agent")], expect_rc=2)
    assert "ecs_agent_cluster is required (got ''" in out
    assert "nvidia-smi was not found on gpu_without_driver" in out
    stats = recap(out)
    assert stats["good"]["failed"] == 0
    for name in ("no_cluster", "bad_version", "bad_fpr", "gpu_without_driver"):
        assert stats[name]["failed"] == 1, out


def test_docker_source_not_available(tmp_path):
    hosts = {"al2023": {"facts": PLATFORMS["al2023_arm"], "docker_engine_install_source": "docker"},
             "sles": {"facts": PLATFORMS["leap15"], "docker_engine_install_source": "docker"}}
    dummy, out = run_playbook(tmp_path, hosts, [preflight("docker_engine")], expect_rc=2)
    assert "which Amazon does not support (supported: distro, none)" in out
    assert "the docker source needs docker_engine_repo_url here" in out
