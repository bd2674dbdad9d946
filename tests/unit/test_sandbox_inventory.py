"""The inventory the sandbox writes: who it logs in as, with which key, and nothing else changed by that."""
import pytest

from tests.sandbox import fleet as fleet_module
from tests.sandbox import settings
from tests.sandbox.fleet import LOGIN_USER, Fleet, Host, connection_vars


@pytest.fixture
def two_hosts(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "bridge_gateway", lambda: "172.17.0.1")
    monkeypatch.setattr(fleet_module, "ssh_key", lambda: tmp_path / "id_ed25519")
    monkeypatch.setattr(Fleet, "hosts", lambda self: [Host("hf-t-1", "172.17.0.2", "bookworm", number=1),
                                                      Host("hf-t-2", "172.17.0.3", "trixie", number=2)])
    monkeypatch.delenv("SANDBOX_LOGIN_USER", raising=False)
    return tmp_path


def group_vars(inventory):
    return inventory["all"]["children"]["ecs_anywhere"]["vars"]


def test_root_stays_the_default_login(two_hosts):
    assert group_vars(Fleet("t").inventory())["ansible_user"] == "root"


def test_the_unprivileged_user_changes_the_login_and_nothing_else(two_hosts):
    as_root, as_ops = Fleet("t").inventory(), Fleet("t", login_user=LOGIN_USER).inventory()
    assert group_vars(as_ops)["ansible_user"] == LOGIN_USER
    group_vars(as_ops)["ansible_user"] = "root"
    assert as_ops == as_root
    # The per-call argument wins over the fleet's own choice.
    assert group_vars(Fleet("t", login_user=LOGIN_USER).inventory("root"))["ansible_user"] == "root"


def test_the_environment_chooses_the_login_for_make(two_hosts, monkeypatch):
    monkeypatch.setenv("SANDBOX_LOGIN_USER", LOGIN_USER)
    assert group_vars(Fleet("t").inventory())["ansible_user"] == LOGIN_USER


def test_a_user_the_hosts_do_not_have_is_refused(two_hosts):
    with pytest.raises(ValueError, match="root and ops"):
        Fleet("t", login_user="admin")


def test_connection_vars_take_a_copy_of_the_key(two_hosts):
    copied = two_hosts / "elsewhere" / "key"
    assert connection_vars(LOGIN_USER, copied)["ansible_ssh_private_key_file"] == str(copied)
    assert connection_vars()["ansible_ssh_private_key_file"] == str(two_hosts / "id_ed25519")


def test_the_written_inventory_carries_the_login(two_hosts, monkeypatch):
    import yaml
    monkeypatch.setattr(fleet_module, "STATE", two_hosts)
    path = Fleet("t", login_user=LOGIN_USER).write_inventory()
    assert path == two_hosts / "inventory-t.yml"
    assert group_vars(yaml.safe_load(path.read_text()))["ansible_user"] == LOGIN_USER


def test_a_host_that_stopped_while_booting_fails_at_once_with_its_exit_code(monkeypatch):
    """Not a wait of minutes for a container that is gone: its exit code and output, at once."""
    import subprocess

    def docker(argv, check=True, **kwargs):
        if argv[:2] == ["docker", "inspect"]:
            return subprocess.CompletedProcess(argv, 0, '{"Status": "exited", "ExitCode": 255, "StartedAt": "T"}', "")
        if argv[:2] == ["docker", "logs"]:
            return subprocess.CompletedProcess(argv, 0, "", "Failed to mount cgroup")
        raise AssertionError("no exec into a stopped host: %s" % argv)
    monkeypatch.setattr(fleet_module, "run", docker)
    with pytest.raises(RuntimeError, match="(?s)hf-t-1 stopped while booting: exit code 255 .*Failed to mount cgroup"):
        fleet_module.booted(Host("hf-t-1", "172.17.0.2", "bookworm"), 300)
