#!/usr/bin/env bash
# Build (or reuse) the systemd host image for one Debian suite, without any registry pull:
# debootstrap → customize in chroot → `docker import`. Prints the image tag on stdout.
#   build-image.sh bookworm|bullseye|trixie[+docker]
# `+docker` is the same server with Debian's docker.io (and python3-apt) already installed, as many
# field hosts come: the playbook tests enroll such hosts, since installing Docker is proved on bare
# hosts elsewhere (roles tests, molecule `default`, the demo) and costs minutes per host.
# The tag carries a hash of the recipe (suite, variant, image/packages, image/customize.sh), so
# an unchanged recipe is never rebuilt and a changed one always is. The finished root is also kept
# as <cache>/images/<suite>-<hash>.tar, so a wiped Docker data root (a fresh clone has its own) re-imports
# in seconds, and the downloaded .debs stay in <cache>/debootstrap-cache/<suite> for the next debootstrap.
# <cache> is SANDBOX_IMAGE_CACHE, by default ~/.cache/hybridfleet-sandbox (XDG_CACHE_HOME): shared by
# every checkout on the machine, like pip's cache; the hash in each name keeps a changed recipe apart.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGES="${SANDBOX_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hybridfleet-sandbox}"
NAME="${1:?usage: build-image.sh SUITE[+FLAVOUR]}"
SUITE="${NAME%%+*}"
FLAVOUR=""; [ "$NAME" = "$SUITE" ] || FLAVOUR="${NAME#*+}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
REPO_NAME="hybridfleet-sandbox-host"

case "$SUITE" in bullseye|bookworm|trixie) ;; *) echo "unsupported suite: $SUITE" >&2; exit 2 ;; esac
case "$FLAVOUR" in ""|docker) ;; *) echo "unsupported flavour: $FLAVOUR (known: docker)" >&2; exit 2 ;; esac
# What a build is named by: the suite, then the flavour (bookworm, bookworm-docker).
BASENAME="$SUITE${FLAVOUR:+-$FLAVOUR}"
PACKAGE_FILES=("$HERE/image/packages")
[ -z "$FLAVOUR" ] || PACKAGE_FILES+=("$HERE/image/packages-$FLAVOUR")

# Everything that shapes the image, and nothing else (editing this script's plumbing must not
# force a rebuild): suite, debootstrap variant, import settings, package list, customize step.
VARIANT="minbase"
IMPORT_CHANGES=('CMD ["/sbin/init"]' 'ENV container=docker')
recipe_hash() {
    { echo "$SUITE $VARIANT ${IMPORT_CHANGES[*]}"; cat "${PACKAGE_FILES[@]}" "$HERE/image/customize.sh"; } \
        | sha256sum | cut -c1-12
}
HASH="$(recipe_hash)"
TAG="$REPO_NAME:$BASENAME-$HASH"
TARBALL="$IMAGES/images/$BASENAME-$HASH.tar"

log() { echo "build-image[$BASENAME]: $*" >&2; }

# The image is enough for container hosts. The VM builder (NEED_TARBALL=1) also needs the root as a
# tarball in the image cache, which a Docker engine shared with another checkout does not give.
# TARBALL_ONLY=1 wants the tarball alone, built from scratch if missing, and no engine at all (the
# fresh-machine test imports it into an engine of its own); it prints the tarball's path.
have_image() {
    if [ -n "${TARBALL_ONLY:-}" ]; then [ -s "$TARBALL" ]; return; fi
    docker image inspect "$TAG" >/dev/null 2>&1 && { [ -z "${NEED_TARBALL:-}" ] || [ -s "$TARBALL" ]; }
}
done_with() {  # what to print once there is nothing left to do
    if [ -n "${TARBALL_ONLY:-}" ]; then echo "$TARBALL"; else echo "$TAG"; fi
    exit 0
}

if have_image; then done_with; fi

# One build per suite at a time: a second `make` or test run waits here and then reuses the result
# (a concurrent build would wipe the first one's root half-way through).
mkdir -p "$IMAGES/build"
exec 9>"$IMAGES/build/$SUITE.lock"  # per suite: the flavours share its debootstrap cache
flock 9
if have_image; then done_with; fi

# A failed debootstrap leaves /proc (and maybe more) mounted inside the root: unmount everything
# below it, deepest first, and never let rm cross into a mounted file system.
remove_root() {
    local dir="$1"
    [ -e "$dir" ] || return 0
    awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
    rm -rf --one-file-system "$dir"
}

if [ ! -s "$TARBALL" ]; then
    BUILD="$IMAGES/build/$BASENAME-$HASH"
    CACHE="$IMAGES/debootstrap-cache/$SUITE"
    trap 'remove_root "$BUILD"' EXIT
    remove_root "$BUILD"; mkdir -p "$BUILD" "$CACHE" "$IMAGES/images"
    include="$(cat "${PACKAGE_FILES[@]}" | grep -v '^#' | xargs | tr ' ' ',')"
    log "debootstrap (minbase + $include)"
    start=$SECONDS
    debootstrap --variant="$VARIANT" --include="$include" --cache-dir="$CACHE" \
        "$SUITE" "$BUILD/root" "$MIRROR" >"$IMAGES/build/$BASENAME-$HASH.log" 2>&1 \
        || { tail -30 "$IMAGES/build/$BASENAME-$HASH.log" >&2; exit 1; }
    log "debootstrap done in $((SECONDS - start)) s"
    chroot "$BUILD/root" /bin/bash -s "$SUITE" <"$HERE/image/customize.sh"
    # Write to a temporary name first so an interrupted build never leaves a truncated cache.
    tar --numeric-owner -C "$BUILD/root" -cf "$TARBALL.part" .
    mv "$TARBALL.part" "$TARBALL"
fi
[ -z "${TARBALL_ONLY:-}" ] || done_with

# STOPSIGNAL cannot be set by `docker import --change`; hosts-up passes --stop-signal instead.
log "docker import $TAG"
changes=(); for change in "${IMPORT_CHANGES[@]}"; do changes+=(--change "$change"); done
docker import "${changes[@]}" \
    --change "LABEL io.hybridfleet.sandbox.recipe=$HASH io.hybridfleet.sandbox.suite=$SUITE io.hybridfleet.sandbox.flavour=$FLAVOUR" \
    "$TARBALL" "$TAG" >/dev/null

# Older recipes of this suite and flavour are dead weight (~200 MB each): drop their tarballs and images
# (the 12-character hash keeps bookworm's from matching bookworm-docker's).
HASH_GLOB="????????????"
find "$IMAGES/images" -name "$BASENAME-$HASH_GLOB.tar" ! -name "$(basename "$TARBALL")" -delete
docker images --format '{{.Repository}}:{{.Tag}}' "$REPO_NAME" | grep -E "^$REPO_NAME:$BASENAME-[0-9a-f]{12}\$" | grep -vx "$TAG" \
    | xargs -r docker rmi >/dev/null 2>&1 || true
echo "$TAG"
