"""tests/sandbox/hosts/build-image.sh names: SUITE or SUITE+FLAVOUR, refused before any work when unknown."""
import subprocess
from pathlib import Path

HOSTS = Path(__file__).resolve().parents[2] / "tests" / "sandbox" / "hosts"


def run(script, name, tmp_path):
    return subprocess.run([str(HOSTS / script), name], capture_output=True, text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", "SANDBOX_IMAGE_CACHE": str(tmp_path)})


def test_an_unknown_flavour_is_refused_naming_the_known_ones(tmp_path):
    proc = run("build-image.sh", "bookworm+podman", tmp_path)
    assert (proc.returncode, proc.stderr.strip()) == (2, "unsupported flavour: podman (known: docker)")
    assert not list(tmp_path.iterdir())


def test_an_unknown_suite_is_refused_with_or_without_a_flavour(tmp_path):
    for name in ("jessie", "jessie+docker"):
        proc = run("build-image.sh", name, tmp_path)
        assert (proc.returncode, proc.stderr.strip()) == (2, "unsupported suite: jessie")


def test_vms_start_bare(tmp_path):
    proc = run("build-vm-image.sh", "bookworm+docker", tmp_path)
    assert proc.returncode == 2 and "VMs start bare" in proc.stderr
