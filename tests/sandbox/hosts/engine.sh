#!/usr/bin/env bash
# Docker engine for the sandbox: install Debian's docker.io/debootstrap when missing, start a
# dockerd when none answers, and stop only the dockerd this script started.
#   engine.sh up     install if needed, start if needed (idempotent)
#   engine.sh down   stop the dockerd recorded in .sandbox/dockerd.pid (if we started one and no
#                    sandbox host runs on it; FORCE=1 overrides)
#   engine.sh install  only install the packages
#   engine.sh status   say whether an engine answers and who started it
# CI runs on a fresh machine as root with no services, so nothing here may assume a running engine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
STATE="${SANDBOX_DIR:-$ROOT/.sandbox}"
PIDFILE="$STATE/dockerd.pid"
LOG="$STATE/dockerd.log"
# Debian packages the sandbox needs on the machine running it; KIND=vm adds QEMU and e2fsprogs
# through ENGINE_EXTRA_PACKAGES.
PACKAGES="${ENGINE_PACKAGES:-docker.io debootstrap openssh-client gnupg curl} ${ENGINE_EXTRA_PACKAGES:-}"

log() { echo "engine: $*" >&2; }

install_missing() {
    local missing=()
    for pkg in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    # `apt-get update` once per machine is enough; skip it when lists are present and fresh.
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
        apt-get update -qq
    fi
    # Keep the package's init script from starting a system dockerd (data root /var/lib/docker) that
    # nobody would stop: a temporary policy-rc.d, unless the machine already has one.
    local policy=/usr/sbin/policy-rc.d own_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { [ -n "$own_policy" ] && rm -f "$policy"; exit 1; }
    [ -n "$own_policy" ] && rm -f "$policy"
    return 0
}

engine_answers() { timeout 5 docker info >/dev/null 2>&1; }

# Every host runs systemd, and each systemd, journald and dbus holds inotify instances; all of them count
# against root's fs.inotify.max_user_instances (128 on Debian). A dozen hosts (three test workers plus
# molecule) exhaust it, and the next host's systemd dies at boot (exit 255, no output). Raise it.
INOTIFY_INSTANCES=1024
raise_inotify_limit() {
    local now; now="$(sysctl -n fs.inotify.max_user_instances 2>/dev/null || echo 0)"
    if [ "$now" -lt "$INOTIFY_INSTANCES" ]; then
        log "raising fs.inotify.max_user_instances from $now to $INOTIFY_INSTANCES (systemd hosts need them)"
        sysctl -qw fs.inotify.max_user_instances="$INOTIFY_INSTANCES"
    fi
}

start() {
    install_missing
    raise_inotify_limit
    if engine_answers; then
        log "a Docker engine is already running; reusing it"
        return 0
    fi
    # Parallel callers (pytest workers, molecule scenarios) on a machine with no engine yet: one starts
    # it, the others wait here and then reuse it (two would fight over docker0 and the data root).
    mkdir -p "$STATE"
    exec 8>"$STATE/engine.lock"
    flock 8
    if engine_answers; then
        log "a Docker engine was started meanwhile; reusing it"
        return 0
    fi
    mkdir -p "$STATE/docker"
    # No engine runs, so a docker0 left by an earlier engine is stale. Remove it: every engine the
    # sandbox starts then comes up as on a fresh machine (dockerd creates the bridge itself, and
    # Debian's 20.10 then reports no gateway), so a first-start bug shows here, not in the field.
    if ip link show docker0 >/dev/null 2>&1; then
        log "removing the stale docker0 bridge left by an earlier engine"
        ip link delete docker0
    fi
    log "starting dockerd (data root $STATE/docker, log $LOG)"
    # containerd is started by dockerd itself when no system containerd runs. The exec root stays
    # at its default (/var/run/docker): unix socket paths under a deep work tree can exceed 108 bytes.
    # 8>&-: dockerd must not inherit the lock, or callers waiting for it would wait for good.
    setsid dockerd --data-root "$STATE/docker" --pidfile "$PIDFILE" >"$LOG" 2>&1 </dev/null 8>&- &
    for _ in $(seq 1 120); do
        engine_answers && { log "dockerd up (pid $(cat "$PIDFILE"))"; return 0; }
        sleep 0.5
    done
    log "dockerd did not come up; last log lines:"; tail -20 "$LOG" >&2
    exit 1
}

stop() {
    [ -f "$PIDFILE" ] || { log "no dockerd started by the sandbox"; return 0; }
    local pid; pid="$(cat "$PIDFILE")"
    # Stopping dockerd kills every host on it: while any fleet's hosts run (sandbox-up, molecule, a
    # test session in another shell), leave it up. FORCE=1 stops it anyway.
    local running; running="$(docker ps -q --filter label=io.hybridfleet.sandbox 2>/dev/null || true)"
    if [ -n "$running" ] && [ "${FORCE:-0}" != 1 ]; then
        log "$(echo "$running" | wc -w) sandbox host(s) still run (make hosts-down / sandbox-down, or FORCE=1); leaving dockerd up"
        return 0
    fi
    if kill -0 "$pid" 2>/dev/null; then
        log "stopping dockerd (pid $pid)"
        kill -TERM "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$PIDFILE"
}

case "${1:-up}" in
    up) start ;;
    down) stop ;;
    install) install_missing ;;
    status)
        if engine_answers; then
            echo "engine: running$( [ -f "$PIDFILE" ] && echo " (started by the sandbox, pid $(cat "$PIDFILE"))")"
        else echo "engine: not running"; fi ;;
    *) echo "usage: $0 up|down|install|status" >&2; exit 2 ;;
esac
