"""Map S3 object paths (as AWS publishes the agents) to the files `agents/build.sh` writes.

  /amazon-ecs-agent-REGION/amazon-ecs-init-VERSION.ARCH.deb[.asc]      VERSION may be `latest`
  /amazon-ssm-REGION/VERSION/debian_ARCH/amazon-ssm-agent.deb[.sig]    VERSION may be `latest`
  /amazon-ssm-REGION/VERSION/linux_ARCH/amazon-ssm-agent-binaries.tar.gz[.sig]
                                                                       (ECS Exec; VERSION may be `latest`)
Every region maps to the same files: the sandbox has one set of packages.
"""
import re
from pathlib import Path

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
_ECS = re.compile(r"^/amazon-ecs-agent-%s/amazon-ecs-init-(?P<version>[^/]+?)\.(?P<arch>amd64|arm64)\.deb"
                  r"(?P<sig>\.asc)?$" % _REGION)
_SSM = re.compile(r"^/amazon-ssm-%s/(?P<version>[^/]+)/debian_(?P<arch>amd64|arm64)/amazon-ssm-agent\.deb"
                  r"(?P<sig>\.sig)?$" % _REGION)
_EXEC = re.compile(r"^/amazon-ssm-%s/(?P<version>[^/]+)/linux_(?P<arch>amd64|arm64)/amazon-ssm-agent-binaries\.tar\.gz"
                   r"(?P<sig>\.sig)?$" % _REGION)
# S3 pattern, file name prefix in the packages directory, file extension.
_OBJECTS = (("amazon-ecs-init", _ECS, "deb"), ("amazon-ssm-agent", _SSM, "deb"),
            ("amazon-ssm-agent-binaries", _EXEC, "tar.gz"))


def version_key(version):
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.\-~+]", version))


def versions(packages, package, arch, ext="deb"):
    suffix = "_%s.%s" % (arch, ext)
    found = [p.name[len(package) + 1:-len(suffix)] for p in packages.glob("%s_*%s" % (package, suffix))]
    return sorted(found, key=version_key)


def resolve(packages: Path, path: str):
    """The file behind an S3 path, or None (the mirror answers NoSuchKey)."""
    for package, pattern, ext in _OBJECTS:
        match = pattern.match(path)
        if not match:
            continue
        version, arch = match.group("version"), match.group("arch")
        if version == "latest":
            known = versions(packages, package, arch, ext)
            if not known:
                return None
            version = known[-1]
        candidate = packages / ("%s_%s_%s.%s%s" % (package, version, arch, ext, match.group("sig") or ""))
        return candidate if candidate.is_file() else None
    return None


def listing(packages: Path, region: str, arch: str = "amd64"):
    """Every URL path the mirror serves for one region and architecture (for docs and tests)."""
    paths = []
    for version in versions(packages, "amazon-ecs-init", arch) + ["latest"]:
        base = "/amazon-ecs-agent-%s/amazon-ecs-init-%s.%s.deb" % (region, version, arch)
        paths += [base, base + ".asc"]
    for version in versions(packages, "amazon-ssm-agent", arch) + ["latest"]:
        base = "/amazon-ssm-%s/%s/debian_%s/amazon-ssm-agent.deb" % (region, version, arch)
        paths += [base, base + ".sig"]
    for version in versions(packages, "amazon-ssm-agent-binaries", arch, "tar.gz") + ["latest"]:
        base = "/amazon-ssm-%s/%s/linux_%s/amazon-ssm-agent-binaries.tar.gz" % (region, version, arch)
        paths += [base, base + ".sig"]
    return paths
