#!/usr/bin/env bash
# Build the stand-in agent packages listed in `versions` for amd64 and arm64 into .sandbox/packages,
# and for each amazon-ssm-agent version the ECS Exec binaries tarball AWS publishes next to it
# (amazon-ssm-agent-binaries.tar.gz); sign each with the sandbox's test OpenPGP key (generated here
# once, no passphrase) the way AWS publishes them (.asc for ecs-init, .sig for the SSM agent and its
# binaries tarball), and export the public key and its fingerprint next to them. Skips the work when
# nothing under tests/sandbox/agents changed.
#
# Builds are reproducible (fixed timestamps, sorted archives): a rebuild after an unrelated change
# yields the same bytes, so packages already cached on a controller still match their new
# signatures. Files are swapped in by rename, under a lock, because mirrors of other test runs
# serve this directory while it is rebuilt.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
STATE="${SANDBOX_DIR:-$ROOT/.sandbox}"
OUT="$STATE/packages"
export GNUPGHOME="$STATE/gnupg"
# gpg-agent puts its socket in GNUPGHOME (there is no /run/user/0 here) and a Unix socket path has at
# most 107 bytes: under a deep checkout key generation fails with "No agent running". Go through a
# short link instead; the keyring stays in .sandbox/gnupg.
if [ "${#GNUPGHOME}" -gt 60 ]; then
    mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
    short="/tmp/hf-gnupg-$(printf %s "$GNUPGHOME" | sha256sum | cut -c1-12)"
    ln -sfn "$GNUPGHOME" "$short"
    export GNUPGHOME="$short"
fi
KEY_UID="hybridfleet sandbox test signing key <sandbox-signing@hybridfleet.invalid>"
ARCHES="${ARCHES:-amd64 arm64}"
# Any fixed date: only reproducibility matters (dpkg-deb and tar read it).
export SOURCE_DATE_EPOCH=1700000000
# The files of the real tarball; the ECS agent needs the first three (see the ecs_agent role).
EXEC_BINARIES="amazon-ssm-agent ssm-agent-worker ssm-session-worker ssm-document-worker ssm-session-logger ssm-cli"

log() { echo "packages: $*" >&2; }

ensure_key() {
    mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
    if ! gpg --batch --list-secret-keys "$KEY_UID" >/dev/null 2>&1; then
        log "generating the test signing key in $GNUPGHOME"
        gpg --batch --quiet --passphrase '' --quick-gen-key "$KEY_UID" rsa3072 sign 2y
    fi
    mkdir -p "$OUT"
    # Readers take no lock (inventories read the fingerprint, roles the key): a file rewritten in place can be
    # read empty, and an empty fingerprint makes the roles pin AWS's key. New content goes in by rename,
    # unchanged content not at all.
    gpg --batch --yes --armor --export "$KEY_UID" >"$OUT/.test-signing-key.gpg.new"
    gpg --batch --with-colons --fingerprint "$KEY_UID" | awk -F: '$1 == "fpr" {print $10; exit}' \
        >"$OUT/.test-signing-key.fingerprint.new"
    local name
    for name in test-signing-key.gpg test-signing-key.fingerprint; do
        if cmp -s "$OUT/.$name.new" "$OUT/$name"; then rm -f "$OUT/.$name.new"; else mv -f "$OUT/.$name.new" "$OUT/$name"; fi
    done
}

recipe_hash() { (cd "$HERE" && find . -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16; }

# stage DIR PACKAGE VERSION ARCH: lay out one package's files the way the real package does.
stage() {
    local dir="$1" pkg="$2" version="$3" arch="$4" upstream="${3%-*}"
    mkdir -p "$dir/DEBIAN" "$dir/lib/systemd/system"
    case "$pkg" in
        amazon-ssm-agent)
            install -D -m 755 "$HERE/ssm/amazon-ssm-agent" "$dir/usr/bin/amazon-ssm-agent"
            sed -i "s/@VERSION@/$version/" "$dir/usr/bin/amazon-ssm-agent"
            install -D -m 644 "$HERE/common/awsjson.py" "$dir/usr/lib/amazon-ssm-agent/awsjson.py"
            install -D -m 644 "$HERE/ssm/runcommand.py" "$dir/usr/lib/amazon-ssm-agent/runcommand.py"
            install -D -m 644 "$HERE/ssm/amazon-ssm-agent.json.template" \
                "$dir/etc/amazon/ssm/amazon-ssm-agent.json.template"
            install -m 644 "$HERE/ssm/amazon-ssm-agent.service" "$dir/lib/systemd/system/"
            echo /etc/amazon/ssm/amazon-ssm-agent.json.template >"$dir/DEBIAN/conffiles"
            ;;
        amazon-ecs-init)
            install -D -m 755 "$HERE/ecs/amazon-ecs-init" "$dir/usr/libexec/amazon-ecs-init"
            sed -i "s/@AGENT_VERSION@/$upstream/" "$dir/usr/libexec/amazon-ecs-init"
            install -D -m 644 "$HERE/common/awsjson.py" "$dir/usr/lib/amazon-ecs-init/awsjson.py"
            install -m 644 "$HERE/ecs/ecs.service" "$dir/lib/systemd/system/"
            mkdir -p "$dir/etc/ecs" "$dir/var/lib/ecs/data" "$dir/var/log/ecs" "$dir/var/cache/ecs"
            ;;
    esac
    for script in postinst prerm postrm; do
        if [ -f "$HERE/debian/$pkg.$script" ]; then
            install -m 755 "$HERE/debian/$pkg.$script" "$dir/DEBIAN/$script"
        fi
    done
    sed -e "s/@PACKAGE@/$pkg/" -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" \
        -e "s/@SIZE@/$(du -sk "$dir" | cut -f1)/" "$HERE/debian/$pkg.control" >"$dir/DEBIAN/control"
}

# exec_tarball OUTPUT VERSION: the stand-in amazon-ssm-agent-binaries.tar.gz, laid out like AWS's
# (the binaries at the top level, owned by root).
exec_tarball() {
    local out="$1" version="$2" dir; dir="$(mktemp -d)"
    for name in $EXEC_BINARIES; do
        sed -e "s/@NAME@/$name/g" -e "s/@VERSION@/$version/g" "$HERE/exec/ssm-binary" >"$dir/$name"
        chmod 755 "$dir/$name"
    done
    # shellcheck disable=SC2086
    tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -C "$dir" -cf - $EXEC_BINARIES \
        | gzip -n >"$out"
    rm -rf "$dir"
}

sign() {
    local file="$1" pkg="$2"
    if [ "$pkg" = amazon-ecs-init ]; then
        gpg --batch --yes --quiet --local-user "$KEY_UID" --armor --detach-sign --output "$file.asc" "$file"
    else
        gpg --batch --yes --quiet --local-user "$KEY_UID" --detach-sign --output "$file.sig" "$file"
    fi
}

main() {
    # Signing starts a gpg-agent for GNUPGHOME; nothing needs it once the build is over.
    trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true' EXIT
    mkdir -p "$STATE"
    exec 9>"$STATE/packages.lock"
    flock 9
    ensure_key
    local hash; hash="$(recipe_hash)"
    if [ -f "$OUT/.recipe" ] && [ "$(cat "$OUT/.recipe")" = "$hash" ]; then
        log "up to date in $OUT"; return 0
    fi
    # Built next to OUT (same file system) so that mv below is a rename.
    local work new; work="$(mktemp -d "$STATE/packages-build.XXXXXX")"; new="$work/out"
    mkdir -p "$new"
    grep -v '^#' "$HERE/versions" | while read -r pkg version; do
        [ -n "$pkg" ] || continue
        for arch in $ARCHES; do
            local dir="$work/$pkg-$version-$arch" deb="$new/${pkg}_${version}_${arch}.deb"
            stage "$dir" "$pkg" "$version" "$arch"
            find "$dir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
            dpkg-deb --root-owner-group -Zgzip --build "$dir" "$deb" >/dev/null
            sign "$deb" "$pkg"
            if [ "$pkg" = amazon-ssm-agent ]; then
                exec_tarball "$new/amazon-ssm-agent-binaries_${version}_${arch}.tar.gz" "$version"
                sign "$new/amazon-ssm-agent-binaries_${version}_${arch}.tar.gz" "$pkg"
            fi
        done
    done
    # Package first, then its signature: a mirror serves a mismatched pair for at most the time
    # between two renames, never a missing file.
    local built file; built="$(cd "$new" && ls)"
    for file in "$new"/*.deb "$new"/*.tar.gz; do
        mv -f "$file" "$OUT/"
        mv -f "$file".asc "$OUT/" 2>/dev/null || mv -f "$file".sig "$OUT/"
    done
    # Drop what the versions list no longer names.
    for file in "$OUT"/*.deb "$OUT"/*.tar.gz "$OUT"/*.asc "$OUT"/*.sig; do
        [ -e "$file" ] || continue
        grep -qxF "$(basename "$file")" <<<"$built" || rm -f "$file"
    done
    rm -rf "$work"
    echo "$hash" >"$OUT/.recipe"
    log "built $(ls "$OUT"/*.deb | wc -l) packages and $(ls "$OUT"/*.tar.gz | wc -l) ECS Exec tarballs into $OUT (key $(cat "$OUT/test-signing-key.fingerprint"))"
}

main "$@"
