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


def test_preflight_ecs_exec(tmp_path):
    """ECS Exec checks run only when it is enabled: a usable CA bundle, a pinned version, a key."""
    base = PLATFORMS["debian12"]
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    exec_on = {"ecs_agent_cluster": "c1", "ecs_agent_exec_enabled": True}
    hosts = {
        # Off: none of the ECS Exec settings is looked at.
        "off": {"facts": base, "ecs_agent_cluster": "c1", "ecs_agent_exec_ca_bundle_path": "/nonexistent",
                "ecs_agent_exec_ssm_version": "latest", "ecs_agent_exec_signing_key_path": "/nonexistent"},
        "on": dict(exec_on, facts=base, ecs_agent_exec_ca_bundle_path=str(bundle)),
        "no_bundle": dict(exec_on, facts=base, ecs_agent_exec_ca_bundle_path=str(tmp_path / "missing.pem")),
        "not_pem": dict(exec_on, facts=base, ecs_agent_exec_ca_bundle_path=str(empty)),
        "latest": dict(exec_on, facts=base, ecs_agent_exec_ca_bundle_path=str(bundle), ecs_agent_exec_ssm_version="latest"),
    }
    dummy, out = run_playbook(tmp_path, hosts, [preflight("ecs_agent")], expect_rc=2)
    stats = recap(out)
    assert stats["off"]["failed"] == 0 and stats["on"]["failed"] == 0, out
    for name in ("no_bundle", "not_pem", "latest"):
        assert stats[name]["failed"] == 1, out
    assert "ECS Exec needs the host's CA bundle" in out
    assert "there is no file at %s" % (tmp_path / "missing.pem") in out
    assert "%s holds no PEM certificate" % empty in out
    assert "Install the distribution's ca-certificates package, set ecs_agent_exec_ca_bundle_path" in out
    assert "not 'latest': the agent reads the version from the directory" in out


def test_preflight_ecs_exec_missing_key(tmp_path):
    hosts = {"h": {"facts": PLATFORMS["debian12"], "ecs_agent_cluster": "c1", "ecs_agent_exec_enabled": True,
                   "ecs_agent_exec_signing_key_path": str(tmp_path / "nokey.gpg")}}
    dummy, out = run_playbook(tmp_path, hosts, [preflight("ecs_agent")], expect_rc=2)
    assert "The signing key %s does not exist on the controller; set ecs_agent_exec_signing_key_path" % (
        tmp_path / "nokey.gpg") in out
