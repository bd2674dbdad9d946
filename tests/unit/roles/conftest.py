"""Rendering harness for the roles: real ansible-playbook, no hosts.

Each fake platform is an inventory host with `ansible_connection: local`; a
test-only module (library/fake_facts.py) injects that platform's facts, then
the play includes a role entry point and dumps the resolved internal
variables and rendered templates as JSON, which the tests assert on. One
ansible-playbook run covers all platforms (forks in parallel), so the whole
suite stays well under a minute.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
COLLECTIONS_ROOT = REPO / ".build" / "collections"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))


def facts(distribution, major, family, arch="x86_64", version=None, release=None):
    return {
        "distribution": distribution,
        "distribution_major_version": major,
        "distribution_version": version or major,
        "distribution_release": release or "",
        "os_family": family,
        "architecture": arch,
        "system": "Linux",
        "service_mgr": "systemd",
    }


# name -> facts. Names become inventory hosts.
PLATFORMS = {
    "debian12": facts("Debian", "12", "Debian", version="12.7", release="bookworm"),
    "debian11_arm": facts("Debian", "11", "Debian", arch="aarch64", version="11.11", release="bullseye"),
    "ubuntu2204": facts("Ubuntu", "22", "Debian", version="22.04", release="jammy"),
    "ubuntu2404_arm": facts("Ubuntu", "24", "Debian", arch="aarch64", version="24.04", release="noble"),
    "rocky9": facts("Rocky", "9", "RedHat", version="9.4"),
    "rhel8_arm": facts("RedHat", "8", "RedHat", arch="aarch64", version="8.10"),
    "alma9": facts("AlmaLinux", "9", "RedHat", version="9.4"),
    "centos9": facts("CentOS", "9", "RedHat", version="9"),
    "fedora41": facts("Fedora", "41", "RedHat", version="41"),
    "al2": facts("Amazon", "2", "RedHat", version="2"),
    "al2023_arm": facts("Amazon", "2023", "RedHat", arch="aarch64", version="2023.6.20241010"),
    "leap15": facts("openSUSE Leap", "15", "Suse", version="15.6"),
    "sles15_arm": facts("SLES", "15", "Suse", arch="aarch64", version="15.6"),
}


def run_playbook(tmp_path, hosts, tasks, extra_vars=None, expect_rc=0):
    """Run `tasks` on fake `hosts` ({name: {'facts': ..., **hostvars}}); return {host: dump}."""
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    inventory = {"all": {"hosts": {
        name: dict({"ansible_connection": "local",
                    "ansible_python_interpreter": sys.executable,
                    "hf_fake_facts": spec["facts"]},
                   **{k: v for k, v in spec.items() if k != "facts"})
        for name, spec in hosts.items()}}}
    play = [{
        "name": "Render",
        "hosts": "all",
        "gather_facts": False,
        "vars": dict({"hf_out_dir": str(out_dir)}, **(extra_vars or {})),
        "tasks": [{"name": "Pose as the platform",
                   "fake_facts": {"facts": "{{ hf_fake_facts }}"}}] + tasks,
    }]
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ,
               ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
               ANSIBLE_LIBRARY=str(HERE / "library"),
               ANSIBLE_FORKS="20",
               ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               ANSIBLE_HOME=str(tmp_path / "ansible-home"),
               ANSIBLE_HOST_KEY_CHECKING="0",
               ANSIBLE_RETRY_FILES_ENABLED="0")
    if os.environ.get("HF_CALLBACKS"):  # e.g. ansible.posix.profile_tasks when tuning speed
        env["ANSIBLE_CALLBACKS_ENABLED"] = os.environ["HF_CALLBACKS"]
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    if expect_rc is not None:
        assert proc.returncode == expect_rc, output
    dumps = {p.stem: json.loads(p.read_text()) for p in out_dir.glob("*.json")}
    return dumps, output


def dump_task(values):
    """A task writing `values` (a dict of Jinja strings) as JSON for the current host."""
    return {"name": "Dump resolved values",
            "ansible.builtin.copy": {"dest": "{{ hf_out_dir }}/{{ inventory_hostname }}.json",
                                     "content": "{{ hf_dump | to_nice_json }}", "mode": "0644"},
            "delegate_to": "localhost",
            "vars": {"hf_dump": values}}


def include_role_vars(role, **role_vars):
    """Include a role's OS-data entry point publicly (nothing touches the host)."""
    task = {"name": "Resolve %s OS data" % role,
            "ansible.builtin.include_role": {"name": "hybridfleet.ecs_anywhere." + role,
                                             "tasks_from": "vars.yml", "public": True}}
    if role_vars:
        task["vars"] = role_vars
    return task


def template(role, name):
    return "{{ lookup('ansible.builtin.template', '%s') }}" % (REPO / "roles" / role / "templates" / name)


def recap(output):
    """{host: {'ok': n, 'failed': n, ...}} from the PLAY RECAP."""
    result = {}
    for line in output.splitlines():
        if " : ok=" in line:
            host, stats = line.split(" : ", 1)
            result[host.strip()] = {k: int(v) for k, v in (p.split("=") for p in stats.split())}
    return result
