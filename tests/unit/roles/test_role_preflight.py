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


INJECTION = "\nExecStartPre=/bin/touch /tmp/pwned"


BAD_VALUES = [
    ("ecs_agent_no_proxy", "10.0.0.0/8" + INJECTION, "Invalid ecs_agent_no_proxy"),
    ("ecs_agent_backend_host", "http://ecs.local\nECS_CLUSTER=other", "Invalid ecs_agent_backend_host"),
    ("ecs_agent_extra_config", {"ECS_ENABLE_TASK_IAM_ROLE": "true\nECS_CLUSTER=other"}, "Invalid ecs_agent_extra_config"),
    ("ecs_agent_extra_config", {"ECS_RESERVED_MEMORY": [1, 2]}, "Invalid ecs_agent_extra_config"),
    ("ecs_agent_instance_attributes", {"site": "a\nb"}, "Invalid ecs_agent_instance_attributes"),
    ("ecs_agent_http_proxy", "http://proxy:3128" + INJECTION, "ecs_agent_http_proxy must be empty or a URL"),
    ("ssm_agent_no_proxy", "localhost" + INJECTION, "Invalid ssm_agent_no_proxy"),
    ("ssm_agent_endpoint_url", "http://ssm.local" + INJECTION, "Invalid ssm_agent_endpoint_url"),
    ("ssm_agent_config", {"Agent": {"Region": "us-east-1\n"}}, "Invalid ssm_agent_config"),
    ("ssm_agent_https_proxy", "http://proxy:3128" + INJECTION, "ssm_agent_http_proxy and ssm_agent_https_proxy must be"),
    ("docker_engine_repo_url", "https://mirror.example/docker\nTypes: deb", "Invalid docker_engine_repo_url"),
    ("docker_engine_no_proxy", "localhost" + INJECTION, "Invalid docker_engine_no_proxy"),
    ("docker_engine_daemon_config", {"labels": ["site=a\nb"]}, "Invalid docker_engine_daemon_config"),
    ("docker_engine_extra_packages", ["docker-compose-plugin; rm -rf /"], "Invalid docker_engine_extra_packages"),
]


def failures(out, host):
    """What ansible printed for `host`'s failed tasks (one line each), whitespace folded."""
    return " ".join(line for line in out.splitlines() if line.startswith(("failed: [%s]" % host, "fatal: [%s]" % host)))


def test_values_that_would_add_lines_are_refused(tmp_path):
    """A newline (or another control character) in a value a role writes into ecs.config, a unit, a
    repository file or daemon.json would add a line of its own; preflight names the variable instead.
    One fake host per bad value, all three preflights in turn (each host fails in its own role)."""
    hosts = {"bad%d" % i: {"facts": PLATFORMS["debian12"], "ecs_agent_cluster": "c1", variable: value}
             for i, (variable, value, dummy) in enumerate(BAD_VALUES)}
    hosts["good"] = {"facts": PLATFORMS["debian12"], "ecs_agent_cluster": "c1"}
    dummy, out = run_playbook(tmp_path, hosts, [preflight(r) for r in ("docker_engine", "ssm_agent", "ecs_agent")],
                              expect_rc=2)
    stats = recap(out)
    assert stats["good"]["failed"] == 0, out
    for i, (variable, dummy, phrase) in enumerate(BAD_VALUES):
        assert stats["bad%d" % i]["failed"] == 1, (variable, out[-3000:])
        assert phrase in failures(out, "bad%d" % i), (variable, failures(out, "bad%d" % i) or out[-3000:])
    assert "\nExecStartPre=/bin/touch" not in out.replace("\\n", "")  # never printed as a line of its own


def test_extra_config_may_not_set_the_roles_keys(tmp_path):
    hosts = {"cluster": {"facts": PLATFORMS["debian12"], "ecs_agent_cluster": "c1",
                         "ecs_agent_extra_config": {"ECS_CLUSTER": "other", "ECS_ENGINE_AUTH_DATA": "secret-auth"}},
             "proxy": {"facts": PLATFORMS["debian12"], "ecs_agent_cluster": "c1",
                       "ecs_agent_extra_config": {"HTTP_PROXY": "http://p:3128", "NO_PROXY": "x"}}}
    dummy, out = run_playbook(tmp_path, hosts, [preflight("ecs_agent")], expect_rc=2)
    text = " ".join(out.split())
    assert "ecs_agent_extra_config sets ECS_CLUSTER, which the role writes itself" in text
    assert "Set ecs_agent_cluster for ECS_CLUSTER instead" in text
    assert "ecs_agent_extra_config sets HTTP_PROXY, NO_PROXY" in text
    assert "ecs_agent_http_proxy for HTTP_PROXY, ecs_agent_no_proxy for NO_PROXY" in text
    assert "secret-auth" not in out  # values of extra config are never shown
    assert all(s["failed"] == 1 for s in recap(out).values())


def test_every_aws_region_is_accepted(tmp_path):
    """eusc-de-east-1 (European Sovereign Cloud) was refused by the roles' own region regex."""
    hosts = {region.replace("-", "_"): {"facts": PLATFORMS["debian12"], "ecs_agent_cluster": "c1", "ecs_anywhere_region": region}
             for region in ("eusc-de-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-5")}
    hosts["typo"] = {"facts": PLATFORMS["debian12"], "ecs_agent_cluster": "c1", "ecs_anywhere_region": "us-east1"}
    tasks = [preflight("ssm_agent"), preflight("ecs_agent")]
    dummy, out = run_playbook(tmp_path, hosts, tasks, expect_rc=2)
    stats = recap(out)
    assert all(stats[h]["failed"] == 0 for h in hosts if h != "typo"), out
    assert stats["typo"]["failed"] == 1
    assert 'ssm_agent_region must be an AWS region name such as us-east-1 or eusc-de-east-1 (got "us-east1")' in " ".join(out.split())
