#!/usr/bin/env bash
# The sandbox's first start on a fresh machine, on this one: run inside new network and mount
# namespaces (tests/integration/test_sandbox_fleet.py does it with `unshare`), where no Docker engine
# answers, no docker0 exists and /run is empty, with a fresh SANDBOX_DIR. Then engine.sh starts a
# dockerd on a fresh data root (dockerd creates docker0 itself; Debian's 20.10 then reports no gateway),
# the host image is imported into that empty engine, a host boots, and it reaches the emulator and the
# mirror at the address the Makefile derives. The machine's own engine and docker0 are never touched.
#   SANDBOX_DIR=/fresh/dir unshare --net --mount --propagation private --fork fresh-start.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
: "${SANDBOX_DIR:?a fresh SANDBOX_DIR}"
cd "$ROOT"
say() { echo "fresh-start: $*"; }

mount -t tmpfs tmpfs /run  # no docker.sock, no containerd of the machine's engine in here
ip link set lo up
if ip link show docker0 >/dev/null 2>&1; then say "FAIL: docker0 exists before the first start"; exit 1; fi
if timeout 5 docker info >/dev/null 2>&1; then say "FAIL: an engine answers before the first start"; exit 1; fi

# Nothing may outlive the namespaces: hosts, emulator, mirror, dockerd, the packages' gpg-agent.
cleanup() {
    make --no-print-directory sandbox-down SANDBOX="$SANDBOX_DIR" FORCE=1 >/dev/null 2>&1 || true
    FORCE=1 tests/sandbox/hosts/engine.sh down >/dev/null 2>&1 || true
    gpgconf --homedir "$SANDBOX_DIR/gnupg" --kill gpg-agent >/dev/null 2>&1 || true
}
trap cleanup EXIT

make --no-print-directory docker-up SANDBOX="$SANDBOX_DIR"
say "gateway reported: $(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}')"
derived="$(.venv/bin/python -m tests.sandbox.settings bridge-address)"
interface="$(ip -4 -o addr show dev docker0 | awk '{print $4}' | cut -d/ -f1)"
say "bridge address derived: $derived, docker0: $interface"
[ -n "$derived" ] && [ "$derived" = "$interface" ] || { say "FAIL: derived address is not docker0's"; exit 1; }
[ "$(docker info -f '{{.DockerRootDir}}')" = "$SANDBOX_DIR/docker" ] || { say "FAIL: not the fresh data root"; exit 1; }

make --no-print-directory sandbox-up N=1 SANDBOX="$SANDBOX_DIR" EMULATOR_PORT=4566 MIRROR_PORT=4580
host="$(docker ps --filter label=io.hybridfleet.sandbox=sandbox --format '{{.Names}}' | head -1)"
for url in "http://$derived:4566/_emulator/health" "http://$derived:4580/_mirror/health"; do
    docker exec "$host" curl -sf -m 10 -o /dev/null "$url" || { say "FAIL: $host cannot reach $url"; exit 1; }
done
say "OK: $host reaches the emulator and the mirror at $derived"
