"""Rendering tests: the roles' OS data, URL building and templates for every supported
platform family, resolved by real ansible-playbook runs against fake-fact localhost hosts.

These cover the RPM-family, Ubuntu, SUSE, Amazon Linux, Fedora and aarch64 paths that no
sandbox host can run. One playbook run resolves all platforms (see conftest.py).
"""
import re

import pytest
import yaml

from conftest import PLATFORMS, REPO, dump_task, include_role_vars, run_playbook, template

TEMPLATES = REPO / "roles"

DUMP = {
    "ssm": {
        "supported": "{{ _ssm_agent_platform_supported | bool }}",
        "url": "{{ _ssm_agent_package_url }}",
        "sig": "{{ _ssm_agent_signature_url }}",
        "installer": "{{ _ssm_agent_installer }}",
        "format": "{{ _ssm_agent_package_format }}",
        # The descriptor minus its key path (role_path exists only inside the role).
        "download": {k: "{{ _ssm_agent_package_download.%s }}" % k
                     for k in ("name", "url", "signature_suffix", "force", "dest", "fingerprints", "settings")},
        "config": "{{ lookup('ansible.builtin.template', '%s') | from_json }}"
                  % (TEMPLATES / "ssm_agent/templates/amazon-ssm-agent.json.j2"),
        "proxy": {"http": "{{ ssm_agent_http_proxy }}", "https": "{{ ssm_agent_https_proxy }}",
                  "no_proxy": "{{ _ssm_agent_no_proxy }}", "env": "{{ _ssm_agent_proxy_env }}"},
        "fingerprints": "{{ _ssm_agent_signing_key_fingerprints }}",
    },
    "ecs": {
        "supported": "{{ _ecs_agent_platform_supported | bool }}",
        "url": "{{ _ecs_agent_package_url }}",
        "sig": "{{ _ecs_agent_signature_url }}",
        "installer": "{{ _ecs_agent_installer }}",
        "config": template("ecs_agent", "ecs.config.j2"),
        "retries": "{{ _ecs_agent_register_retries }}",
        "proxy": {"http": "{{ ecs_agent_http_proxy }}", "no_proxy": "{{ _ecs_agent_no_proxy }}", "env": "{{ _ecs_agent_proxy_env }}"},
        # The descriptors minus their key path (role_path exists only inside the role).
        "exec": {k: "{{ _ecs_agent_exec_download.%s }}" % k
                 for k in ("name", "url", "signature_suffix", "force", "dest", "fingerprints")},
        "package": {k: "{{ _ecs_agent_package_download.%s }}" % k
                    for k in ("name", "url", "signature_suffix", "force", "dest", "fingerprints", "settings")},
        "exec_version_dir": "{{ _ecs_agent_exec_version_dir }}",
        "exec_binaries": "{{ _ecs_agent_exec_binaries }}",
        "exec_ca_dest": "{{ _ecs_agent_exec_ca_bundle_dest }}",
    },
    "docker": {
        "supported": "{{ _docker_engine_platform_supported | bool }}",
        "source": "{{ _docker_engine_source }}",
        "sources": "{{ _docker_engine_supported_sources }}",
        "packages": "{{ _docker_engine_packages }}",
        "repo_type": "{{ _docker_engine_repo_type }}",
        "repo_file": "{{ _docker_engine_repo_file }}",
        "repo_url": "{{ _docker_engine_repo_url }}",
        "key_url": "{{ _docker_engine_repo_gpg_key_url }}",
        "proxy": {"http": "{{ docker_engine_http_proxy }}", "https": "{{ docker_engine_https_proxy }}",
                  "no_proxy": "{{ _docker_engine_no_proxy }}"},
        "repo": "{{ lookup('ansible.builtin.template', '%s/docker_engine/templates/' ~ "
                "{'deb822': 'docker.sources.j2', 'dnf': 'docker-ce.repo.j2', 'zypper': 'docker-ce.zypper.repo.j2'}"
                "[_docker_engine_repo_type]) if _docker_engine_repo_type in ['deb822', 'dnf', 'zypper'] else '' }}"
                % TEMPLATES,
    },
}

VARIANTS = {
    # Partition and endpoint variants.
    "cn_debian12": dict(facts=PLATFORMS["debian12"], ecs_anywhere_region="cn-north-1", ecs_agent_cluster="c1"),
    "eusc_rocky9": dict(facts=PLATFORMS["rocky9"], ecs_anywhere_region="eusc-de-east-1", ecs_agent_cluster="c1",
                        ssm_agent_s3_dualstack=True, ecs_agent_s3_dualstack=True),
    "dualstack_ubuntu": dict(facts=PLATFORMS["ubuntu2204"], ssm_agent_region="us-west-2", ecs_agent_region="us-west-2",
                             ecs_agent_cluster="c1", ssm_agent_s3_dualstack=True, ecs_agent_s3_dualstack=True),
    # Mirror, pinned versions, a full ecs.config and user overrides of OS defaults.
    "mirror_debian12": dict(
        facts=PLATFORMS["debian12"],
        ssm_agent_package_base_url="http://172.17.0.1:4580/", ecs_agent_package_base_url="http://172.17.0.1:4580",
        ssm_agent_version="3.3.1142.0", ecs_agent_version="1.88.0-1", ecs_agent_cluster="edge",
        ecs_agent_backend_host="http://172.17.0.1:4566", ecs_agent_enable_gpu=True, ecs_agent_loglevel="debug",
        ecs_agent_instance_attributes={"site": "factory-7", "rack": "r2"},
        ecs_agent_http_proxy="http://proxy:3128", ecs_agent_extra_config={"ECS_ENABLE_TASK_IAM_ROLE": "true"},
        ssm_agent_endpoint_url="http://172.17.0.1:4566", ssm_agent_https_proxy="http://proxy:3128",
        ssm_agent_config={"Agent": {"ContainerMode": False}, "Profile": {"ShareCreds": True}},
        ssm_agent_signing_key_fingerprints=["aaaa bbbb cccc dddd eeee ffff 0000 1111 2222 3333"],
        ecs_agent_register_timeout=61,
        docker_engine_install_source="docker", docker_engine_repo_url="https://mirror.example/docker-ce/linux/debian/"),
    # ECS Exec binaries from a mirror of their own, another pinned version, user keys.
    "exec_mirror_al2023_arm": dict(
        facts=PLATFORMS["al2023_arm"], ecs_agent_cluster="c1", ecs_agent_package_base_url="http://pkgs.example",
        ecs_agent_exec_package_base_url="https://ssm-mirror.example/s3/", ecs_agent_exec_ssm_version="3.3.1802.0",
        ecs_agent_exec_signing_key_fingerprints=["aaaa bbbb cccc dddd eeee ffff 0000 1111 2222 3333"]),
    # One proxy for the fleet, one role overriding it.
    "fleet_proxy_debian12": dict(
        facts=PLATFORMS["debian12"], ecs_agent_cluster="c1", ecs_anywhere_proxy="http://u:Pa%40ss@proxy.corp:3128",
        ecs_anywhere_no_proxy="10.0.0.0/8,.corp.example", docker_engine_https_proxy="http://docker-proxy:3128"),
    "rocky9_none": dict(facts=PLATFORMS["rocky9"], docker_engine_install_source="none",
                        docker_engine_extra_packages=["docker-compose-plugin"], ecs_agent_cluster="c1"),
    "sles_mirror": dict(facts=PLATFORMS["sles15_arm"], docker_engine_install_source="docker",
                        docker_engine_repo_url="https://mirror.example/docker-sles", ecs_agent_cluster="c1"),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    hosts = {name: {"facts": f, "ecs_agent_cluster": "hybrid"} for name, f in PLATFORMS.items()}
    hosts.update(VARIANTS)
    tasks = [include_role_vars("ssm_agent"), include_role_vars("ecs_agent"), include_role_vars("docker_engine"),
             dump_task(DUMP)]
    dumps, dummy = run_playbook(tmp_path_factory.mktemp("render"), hosts, tasks)
    assert set(dumps) == set(hosts)
    return dumps


S3 = "https://s3.us-east-1.amazonaws.com"


@pytest.mark.parametrize("host,url,installer", [
    ("debian12", S3 + "/amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb", "apt"),
    ("debian11_arm", S3 + "/amazon-ssm-us-east-1/latest/debian_arm64/amazon-ssm-agent.deb", "apt"),
    ("ubuntu2204", S3 + "/amazon-ssm-us-east-1/latest/debian_amd64/amazon-ssm-agent.deb", "apt"),
    ("ubuntu2404_arm", S3 + "/amazon-ssm-us-east-1/latest/debian_arm64/amazon-ssm-agent.deb", "apt"),
    ("rocky9", S3 + "/amazon-ssm-us-east-1/latest/linux_amd64/amazon-ssm-agent.rpm", "dnf"),
    ("rhel8_arm", S3 + "/amazon-ssm-us-east-1/latest/linux_arm64/amazon-ssm-agent.rpm", "dnf"),
    ("alma9", S3 + "/amazon-ssm-us-east-1/latest/linux_amd64/amazon-ssm-agent.rpm", "dnf"),
    ("centos9", S3 + "/amazon-ssm-us-east-1/latest/linux_amd64/amazon-ssm-agent.rpm", "dnf"),
    ("fedora41", S3 + "/amazon-ssm-us-east-1/latest/linux_amd64/amazon-ssm-agent.rpm", "dnf"),
    ("al2", S3 + "/amazon-ssm-us-east-1/latest/linux_amd64/amazon-ssm-agent.rpm", "yum"),
    ("al2023_arm", S3 + "/amazon-ssm-us-east-1/latest/linux_arm64/amazon-ssm-agent.rpm", "dnf"),
    ("leap15", S3 + "/amazon-ssm-us-east-1/latest/linux_amd64/amazon-ssm-agent.rpm", "zypper"),
    ("sles15_arm", S3 + "/amazon-ssm-us-east-1/latest/linux_arm64/amazon-ssm-agent.rpm", "zypper"),
    ("cn_debian12", "https://s3.cn-north-1.amazonaws.com.cn/amazon-ssm-cn-north-1/latest/debian_amd64/amazon-ssm-agent.deb", "apt"),
    # eusc: amazonaws.eu and no dual-stack even when asked for.
    ("eusc_rocky9", "https://s3.eusc-de-east-1.amazonaws.eu/amazon-ssm-eusc-de-east-1/latest/linux_amd64/amazon-ssm-agent.rpm", "dnf"),
    ("dualstack_ubuntu", "https://s3.dualstack.us-west-2.amazonaws.com/amazon-ssm-us-west-2/latest/debian_amd64/amazon-ssm-agent.deb", "apt"),
    ("mirror_debian12", "http://172.17.0.1:4580/amazon-ssm-us-east-1/3.3.1142.0/debian_amd64/amazon-ssm-agent.deb", "apt"),
])
def test_ssm_agent_package_url(rendered, host, url, installer):
    ssm = rendered[host]["ssm"]
    assert ssm["supported"] is True
    assert ssm["url"] == url
    assert ssm["sig"] == url + ".sig"
    assert ssm["installer"] == installer
    assert ssm["format"] == url.rsplit(".", 1)[1]


@pytest.mark.parametrize("host,url,installer", [
    ("debian12", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.amd64.deb", "apt"),
    ("debian11_arm", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.arm64.deb", "apt"),
    ("ubuntu2404_arm", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.arm64.deb", "apt"),
    ("rocky9", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.x86_64.rpm", "dnf"),
    ("rhel8_arm", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.aarch64.rpm", "dnf"),
    ("fedora41", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.x86_64.rpm", "dnf"),
    ("al2", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.x86_64.rpm", "yum"),
    ("al2023_arm", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.aarch64.rpm", "dnf"),
    ("leap15", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.x86_64.rpm", "zypper"),
    ("sles15_arm", S3 + "/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.105.1-1.aarch64.rpm", "zypper"),
    ("cn_debian12", "https://s3.cn-north-1.amazonaws.com.cn/amazon-ecs-agent-cn-north-1/amazon-ecs-init-1.105.1-1.amd64.deb", "apt"),
    ("eusc_rocky9", "https://s3.eusc-de-east-1.amazonaws.eu/amazon-ecs-agent-eusc-de-east-1/amazon-ecs-init-1.105.1-1.x86_64.rpm", "dnf"),
    ("dualstack_ubuntu", "https://s3.dualstack.us-west-2.amazonaws.com/amazon-ecs-agent-us-west-2/amazon-ecs-init-1.105.1-1.amd64.deb", "apt"),
    ("mirror_debian12", "http://172.17.0.1:4580/amazon-ecs-agent-us-east-1/amazon-ecs-init-1.88.0-1.amd64.deb", "apt"),
])
def test_ecs_agent_package_url(rendered, host, url, installer):
    ecs = rendered[host]["ecs"]
    assert ecs["supported"] is True
    assert ecs["url"] == url
    assert ecs["sig"] == url + ".asc"
    assert ecs["installer"] == installer


EXEC = "amazon-ssm-agent-binaries.tar.gz"


@pytest.mark.parametrize("host,url", [
    ("debian12", S3 + "/amazon-ssm-us-east-1/3.3.1611.0/linux_amd64/" + EXEC),
    ("debian11_arm", S3 + "/amazon-ssm-us-east-1/3.3.1611.0/linux_arm64/" + EXEC),
    # One tarball per architecture, whatever the package format.
    ("rocky9", S3 + "/amazon-ssm-us-east-1/3.3.1611.0/linux_amd64/" + EXEC),
    ("rhel8_arm", S3 + "/amazon-ssm-us-east-1/3.3.1611.0/linux_arm64/" + EXEC),
    ("al2", S3 + "/amazon-ssm-us-east-1/3.3.1611.0/linux_amd64/" + EXEC),
    ("sles15_arm", S3 + "/amazon-ssm-us-east-1/3.3.1611.0/linux_arm64/" + EXEC),
    ("cn_debian12", "https://s3.cn-north-1.amazonaws.com.cn/amazon-ssm-cn-north-1/3.3.1611.0/linux_amd64/" + EXEC),
    ("eusc_rocky9", "https://s3.eusc-de-east-1.amazonaws.eu/amazon-ssm-eusc-de-east-1/3.3.1611.0/linux_amd64/" + EXEC),
    ("dualstack_ubuntu", "https://s3.dualstack.us-west-2.amazonaws.com/amazon-ssm-us-west-2/3.3.1611.0/linux_amd64/" + EXEC),
    # By default the package mirror serves the tarball too; a mirror of its own wins.
    ("mirror_debian12", "http://172.17.0.1:4580/amazon-ssm-us-east-1/3.3.1611.0/linux_amd64/" + EXEC),
    ("exec_mirror_al2023_arm", "https://ssm-mirror.example/s3/amazon-ssm-us-east-1/3.3.1802.0/linux_arm64/" + EXEC),
])
def test_ecs_exec_binaries_url(rendered, host, url):
    ex = rendered[host]["ecs"]["exec"]
    assert ex["url"] == url
    assert ex["url"] + ex["signature_suffix"] == url + ".sig"  # binary detached signature, as AWS publishes it
    assert ex["name"] == "amazon-ssm-agent-binaries" and ex["force"] is False


def test_ecs_exec_layout_and_keys(rendered):
    ex = rendered["debian12"]["ecs"]
    assert ex["exec_version_dir"] == "/var/lib/ecs/deps/execute-command/bin/3.3.1611.0"
    assert ex["exec_binaries"] == ["amazon-ssm-agent", "ssm-agent-worker", "ssm-session-worker"]
    assert ex["exec_ca_dest"] == "/var/lib/ecs/deps/execute-command/certs/tls-ca-bundle.pem"
    assert ex["exec"]["dest"] == "/var/cache/hybridfleet-ecs-anywhere/ecs_agent/amazon-ssm-agent-binaries-3.3.1611.0.tar.gz"
    # Signed with the SSM agent key (shipped in the role), not the ECS key of the package.
    assert ex["exec"]["fingerprints"] == ["1C5B395CBE5E74E2F1CA21592784DBF388D19D46"]
    other = rendered["exec_mirror_al2023_arm"]["ecs"]
    assert other["exec_version_dir"] == "/var/lib/ecs/deps/execute-command/bin/3.3.1802.0"
    assert other["exec"]["fingerprints"] == ["AAAABBBBCCCCDDDDEEEEFFFF0000111122223333"]


def test_ecs_agent_version_default_is_pinned():
    defaults = yaml.safe_load((REPO / "roles/ecs_agent/defaults/main.yml").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+-\d+", defaults["ecs_agent_version"])


def test_download_descriptors(rendered):
    """What each role hands the shared signed_package role: the same scheme, its own key and settings."""
    ssm = rendered["debian12"]["ssm"]["download"]
    assert ssm == {"name": "amazon-ssm-agent", "url": rendered["debian12"]["ssm"]["url"], "signature_suffix": ".sig",
                   "force": True, "dest": "/var/cache/hybridfleet-ecs-anywhere/ssm_agent/amazon-ssm-agent.deb",
                   "fingerprints": ["1C5B395CBE5E74E2F1CA21592784DBF388D19D46"],
                   "settings": "ssm_agent_package_base_url, ssm_agent_version, ssm_agent_signing_key_path, "
                               "ssm_agent_signing_key_fingerprints"}
    assert rendered["mirror_debian12"]["ssm"]["download"]["force"] is False  # a pinned version never moves
    ecs = rendered["rocky9"]["ecs"]["package"]
    assert ecs == {"name": "amazon-ecs-init", "url": rendered["rocky9"]["ecs"]["url"], "signature_suffix": ".asc",
                   "force": False, "dest": "/var/cache/hybridfleet-ecs-anywhere/ecs_agent/amazon-ecs-init.rpm",
                   "fingerprints": ["F34C3DDAE72926B079BEAEC6BCE9D9A42D51784F"],
                   "settings": "ecs_agent_package_base_url, ecs_agent_signing_key_path, ecs_agent_signing_key_fingerprints"}


def test_pinned_fingerprints(rendered):
    assert rendered["debian12"]["ssm"]["fingerprints"] == ["1C5B395CBE5E74E2F1CA21592784DBF388D19D46"]
    # User fingerprints are normalised (spaces removed, upper case).
    assert rendered["mirror_debian12"]["ssm"]["fingerprints"] == ["AAAABBBBCCCCDDDDEEEEFFFF0000111122223333"]


def _ecs_config(text):
    lines = [l for l in text.splitlines() if l and not l.startswith("#")]
    return dict(l.split("=", 1) for l in lines), lines


def test_ecs_config_minimal(rendered):
    cfg, lines = _ecs_config(rendered["rocky9"]["ecs"]["config"])
    assert cfg == {"ECS_CLUSTER": "hybrid", "AWS_DEFAULT_REGION": "us-east-1", "ECS_EXTERNAL": "true",
                   "ECS_LOGLEVEL": "info"}
    assert len(lines) == len(cfg)  # rendered whole, one line per key, no duplicates


def test_ecs_config_full(rendered):
    cfg, lines = _ecs_config(rendered["mirror_debian12"]["ecs"]["config"])
    assert cfg == {
        "ECS_CLUSTER": "edge",
        "AWS_DEFAULT_REGION": "us-east-1",
        "ECS_EXTERNAL": "true",
        "ECS_LOGLEVEL": "debug",
        "ECS_BACKEND_HOST": "http://172.17.0.1:4566",
        "ECS_ENABLE_GPU_SUPPORT": "true",
        "ECS_INSTANCE_ATTRIBUTES": '{"rack":"r2","site":"factory-7"}',
        "HTTP_PROXY": "http://proxy:3128",
        "NO_PROXY": "169.254.169.254,169.254.170.2,/var/run/docker.sock",
        "ECS_ENABLE_TASK_IAM_ROLE": "true",
    }
    assert len(lines) == len(cfg)
    assert int(rendered["mirror_debian12"]["ecs"]["retries"]) == 13  # ceil(61 s / 5 s)


def test_ecs_config_region_from_collection_var(rendered):
    cfg, dummy = _ecs_config(rendered["cn_debian12"]["ecs"]["config"])
    assert cfg["AWS_DEFAULT_REGION"] == "cn-north-1"


def test_ssm_agent_json(rendered):
    assert rendered["debian12"]["ssm"]["config"] == {"Agent": {"Region": "us-east-1"}}
    assert rendered["cn_debian12"]["ssm"]["config"] == {"Agent": {"Region": "cn-north-1"}}
    ep = "http://172.17.0.1:4566"
    assert rendered["mirror_debian12"]["ssm"]["config"] == {
        "Agent": {"Region": "us-east-1", "ContainerMode": False},
        "Ssm": {"Endpoint": ep}, "Mds": {"Endpoint": ep}, "Ec2Messages": {"Endpoint": ep},
        "Mgs": {"Region": "us-east-1", "Endpoint": ep},
        "Profile": {"ShareCreds": True},
    }


def test_proxy_defaults_to_the_fleet_proxy(rendered):
    """ecs_anywhere_proxy / ecs_anywhere_no_proxy reach every role unless the role overrides them, and
    each role's required no_proxy entries always come first."""
    fleet = rendered["fleet_proxy_debian12"]
    url, user = "http://u:Pa%40ss@proxy.corp:3128", "10.0.0.0/8,.corp.example"
    assert fleet["ssm"]["proxy"] == {"http": url, "https": url, "no_proxy": "169.254.169.254," + user,
                                     "env": {"http_proxy": url, "https_proxy": url, "no_proxy": "169.254.169.254," + user}}
    assert fleet["ecs"]["proxy"]["http"] == url
    assert fleet["ecs"]["proxy"]["no_proxy"] == "169.254.169.254,169.254.170.2,/var/run/docker.sock," + user
    assert fleet["docker"]["proxy"] == {"http": url, "https": "http://docker-proxy:3128",
                                        "no_proxy": "localhost,127.0.0.1,169.254.169.254,169.254.170.2," + user}
    cfg, dummy = _ecs_config(fleet["ecs"]["config"])
    assert cfg["HTTP_PROXY"] == url and cfg["NO_PROXY"] == fleet["ecs"]["proxy"]["no_proxy"]
    # Without any proxy: nothing, and no environment for dnf/zypper either.
    plain = rendered["debian12"]
    assert plain["ssm"]["proxy"]["env"] == {} and plain["ecs"]["proxy"]["env"] == {}
    assert plain["docker"]["proxy"]["no_proxy"] == "localhost,127.0.0.1,169.254.169.254,169.254.170.2"


DOCKER_CE = ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"]


@pytest.mark.parametrize("host,source,packages,repo_type", [
    ("debian12", "distro", ["docker.io"], "deb822"),
    ("debian11_arm", "distro", ["docker.io"], "deb822"),
    ("ubuntu2204", "distro", ["docker.io"], "deb822"),
    ("rocky9", "docker", DOCKER_CE, "dnf"),
    ("rhel8_arm", "docker", DOCKER_CE, "dnf"),
    ("alma9", "docker", DOCKER_CE, "dnf"),
    ("centos9", "docker", DOCKER_CE, "dnf"),
    ("fedora41", "distro", ["moby-engine"], "dnf"),
    ("al2", "distro", ["docker"], "none"),
    ("al2023_arm", "distro", ["docker"], "none"),
    ("leap15", "distro", ["docker"], "zypper"),
    ("sles15_arm", "distro", ["docker"], "zypper"),
    # User choices win over the OS data (vars files never override user variables).
    ("mirror_debian12", "docker", DOCKER_CE, "deb822"),
    ("rocky9_none", "none", ["docker-compose-plugin"], "dnf"),
])
def test_docker_engine_source_and_packages(rendered, host, source, packages, repo_type):
    d = rendered[host]["docker"]
    assert d["supported"] is True
    assert d["source"] == source
    assert source in d["sources"]
    assert d["packages"] == packages
    assert d["repo_type"] == repo_type


def test_docker_repo_deb822(rendered):
    d = rendered["ubuntu2404_arm"]["docker"]
    assert d["repo_file"] == "/etc/apt/sources.list.d/docker.sources"
    body = [l for l in d["repo"].splitlines() if not l.startswith("#")]
    assert body == ["Types: deb", "URIs: https://download.docker.com/linux/ubuntu", "Suites: noble",
                    "Components: stable", "Architectures: arm64", "Signed-By: /etc/apt/keyrings/docker.asc"]
    m = rendered["mirror_debian12"]["docker"]
    assert "URIs: https://mirror.example/docker-ce/linux/debian\n" in m["repo"]
    assert "Suites: bookworm" in m["repo"] and "Architectures: amd64" in m["repo"]
    assert m["key_url"] == "https://mirror.example/docker-ce/linux/debian/gpg"


def test_docker_repo_dnf(rendered):
    rocky, rhel, fedora = (rendered[h]["docker"] for h in ("rocky9", "rhel8_arm", "fedora41"))
    assert rocky["repo_file"] == "/etc/yum.repos.d/docker-ce.repo"
    assert "baseurl=https://download.docker.com/linux/centos/$releasever/$basearch/stable" in rocky["repo"]
    assert "baseurl=https://download.docker.com/linux/rhel/$releasever/$basearch/stable" in rhel["repo"]
    assert "baseurl=https://download.docker.com/linux/fedora/$releasever/$basearch/stable" in fedora["repo"]
    for d in (rocky, rhel, fedora):
        assert "gpgcheck=1" in d["repo"] and "gpgkey=file:///etc/pki/rpm-gpg/docker.asc" in d["repo"]
        assert d["repo"].count("[docker-ce-stable]") == 1


def test_docker_repo_zypper(rendered):
    d = rendered["sles_mirror"]["docker"]
    assert d["source"] == "docker"
    assert d["repo_file"] == "/etc/zypp/repos.d/docker-ce.repo"
    assert "type=rpm-md" in d["repo"]
    assert "baseurl=https://mirror.example/docker-sles/$releasever_major/$basearch/stable" in d["repo"]


@pytest.mark.parametrize("role", ["ssm_agent", "ecs_agent", "docker_engine"])
def test_os_vars_files_define_only_internal_names(role):
    """Role vars outrank inventory: OS data files and vars/main.yml must never set public names."""
    files = sorted((REPO / "roles" / role / "vars").glob("*.yml"))
    assert any(f.name == "default.yml" for f in files)
    for f in files:
        for key in yaml.safe_load(f.read_text()) or {}:
            assert key.startswith("_%s_" % role), "%s sets %s" % (f, key)
