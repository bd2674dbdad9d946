"""`.sandbox/env` read by the demo as `. .sandbox/env` reads it in a shell."""
import subprocess

from tests.sandbox import settings
from tests.sandbox.demo import read_env_file


def test_the_demo_reads_the_env_file_as_the_shell_does(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "bridge_gateway", lambda: "172.17.0.1")
    env_file = tmp_path / "env"
    env_file.write_text(settings.env_file_text(tmp_path / "inventory.yml"))
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    read = read_env_file(env_file, environ)
    shell = subprocess.run(["bash", "-c", ". %s && env -0" % env_file], env=environ, check=True,
                           capture_output=True, text=True).stdout
    sourced = dict(item.split("=", 1) for item in shell.split("\0") if "=" in item)
    assert read["PATH"] == sourced["PATH"] == "%s:/usr/bin:/bin" % (settings.REPO / ".venv" / "bin")
    assert {k: sourced[k] for k in read} == read
