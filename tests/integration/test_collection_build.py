"""The collection builds into a tarball that installs into a fresh collections path and works there."""
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*cmd, **kwargs):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)


def test_build_and_install_into_fresh_path(tmp_path):
    dist = tmp_path / "dist"
    run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(REPO))
    tarballs = list(dist.glob("hybridfleet-ecs_anywhere-*.tar.gz"))
    assert len(tarballs) == 1, tarballs

    with tarfile.open(tarballs[0]) as tar:
        names = tar.getnames()
    manifest = json.loads(tarfile.open(tarballs[0]).extractfile("MANIFEST.json").read())
    info = manifest["collection_info"]
    assert info["namespace"] == "hybridfleet" and info["name"] == "ecs_anywhere"
    assert info["dependencies"] == {"amazon.aws": ">=10.0.0", "community.general": ">=9.0.0"}
    assert "meta/runtime.yml" in names
    # The licence galaxy.yml declares ships with the code it covers.
    assert "LICENSE" in names and info["license"] == ["GPL-3.0-or-later"]
    assert "GNU GENERAL PUBLIC LICENSE" in tarfile.open(tarballs[0]).extractfile("LICENSE").read().decode()[:200]
    assert "Version 3" in tarfile.open(tarballs[0]).extractfile("LICENSE").read().decode()[:200]
    # Developer-only state must never ship.
    assert not [n for n in names if n.startswith((".venv", ".sandbox", ".build", "tests/sandbox"))]

    fresh = tmp_path / "collections"
    # Only the fresh path and the ansible package's bundled collections (amazon.aws) may be seen,
    # never this checkout, or the install would be a no-op.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(fresh))
    # --offline: no Galaxy server is reachable; amazon.aws comes from the ansible package.
    run(str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(fresh), str(tarballs[0]), env=env)
    installed = fresh / "ansible_collections" / "hybridfleet" / "ecs_anywhere"
    assert (installed / "MANIFEST.json").is_file()

    listing = run(str(BIN / "ansible-galaxy"), "collection", "list", "hybridfleet.ecs_anywhere",
                  "--format", "json", env=env)
    found = json.loads(listing.stdout)
    assert any("hybridfleet.ecs_anywhere" in cols and cols["hybridfleet.ecs_anywhere"]["version"] == "0.1.0"
               for cols in found.values()), found
    # The installed copy is the one ansible uses, and its modules load and document themselves.
    doc = run(str(BIN / "ansible-doc"), "--json", "hybridfleet.ecs_anywhere.ssm_activation", env=env)
    assert str(fresh) in json.loads(doc.stdout)["hybridfleet.ecs_anywhere.ssm_activation"]["doc"]["filename"]
