#!/usr/bin/env bash
# Starts a local Docker Engine for Tend's docker tests and builds the registry-free test images
# (ARCHITECTURE.md §10). Idempotent: with an engine already answering it only (re)builds images.
#
#   TEND_DOCKER_STATE  where the log and PID file live (default /var/run/tend-docker)
#   TEND_DOCKER_SOCK   engine socket (default /var/run/docker.sock)
#   TEND_DOCKER_WAIT   seconds to wait for the engine to answer (default 60)
set -euo pipefail

state=${TEND_DOCKER_STATE:-/var/run/tend-docker}
sock=${TEND_DOCKER_SOCK:-/var/run/docker.sock}
wait_s=${TEND_DOCKER_WAIT:-60}
log="$state/dockerd.log"
pidfile="$state/dockerd.pid"
# Prefer the engine package's own CLI: it always speaks the daemon's API version.
docker_cli=$(command -v /usr/bin/docker || command -v docker)
docker() { "$docker_cli" --host "unix://$sock" "$@"; }

say() { printf 'docker-start: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (dockerd needs it)"
command -v dockerd >/dev/null || die "dockerd not found: install Debian docker.io"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found: install Debian busybox-static"
mkdir -p "$state"

engine_up() { timeout 5 "$docker_cli" --host "unix://$sock" info >/dev/null 2>&1; }

# Starts dockerd with one storage driver and waits for it; returns 1 if it died or never answered.
start_with() {
  local driver=$1
  say "starting dockerd (storage driver $driver), log $log"
  # --iptables=false --bridge=none: no host network changes; tests use --network none or host.
  # --exec-opt native.cgroupdriver=cgroupfs: there is no systemd in this sandbox.
  setsid dockerd \
    --host "unix://$sock" \
    --iptables=false --ip6tables=false --bridge=none --ip-masq=false \
    --storage-driver "$driver" \
    --exec-opt native.cgroupdriver=cgroupfs \
    --pidfile "$state/dockerd.engine.pid" \
    >>"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$pidfile"
  local deadline=$((SECONDS + wait_s))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "dockerd exited early with driver $driver (see $log)"
      rm -f "$pidfile"
      return 1
    fi
    if engine_up; then
      say "engine up (pid $pid, driver $driver)"
      return 0
    fi
    sleep 0.5
  done
  say "engine did not answer within ${wait_s}s with driver $driver; stopping it"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  return 1
}

if engine_up; then
  say "engine already answering on $sock"
else
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    die "dockerd pid $(cat "$pidfile") is alive but not answering on $sock; run docker-stop.sh first"
  fi
  rm -f "$pidfile"
  # overlay2 is fast; vfs works on any file system (a full copy per layer) when overlay is refused.
  start_with overlay2 || start_with vfs || { tail -n 40 "$log" >&2; die "could not start dockerd"; }
fi

# Test images, built without any registry: a root file system holding only busybox and its applets.
build_image() {
  local tag=$1 marker=$2
  local dir
  dir=$(mktemp -d)
  mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/proc" "$dir/sys" "$dir/dev"
  cp "$busybox" "$dir/bin/busybox"
  # Applet links: /bin/sh, sleep, cat… (busybox --list names every applet it carries).
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
  echo "root:x:0:0:root:/:/bin/sh" >"$dir/etc/passwd"
  echo "root:x:0:" >"$dir/etc/group"
  # A different file per tag gives each tag its own image ID (rolling-update tests need two).
  echo "$marker" >"$dir/etc/tend-test-image"
  tar -C "$dir" -c . |
    docker import \
      --change 'CMD ["/bin/sh"]' \
      --change 'ENV PATH=/bin' \
      --message "tend test image $marker" \
      - "$tag" >/dev/null
  rm -rf "$dir"
  say "built $tag ($(docker image inspect --format '{{.Id}}' "$tag"))"
}

image_ok() { docker image inspect "$1" >/dev/null 2>&1; }
image_ok tend-test/busybox:1 || build_image tend-test/busybox:1 1
image_ok tend-test/busybox:2 || build_image tend-test/busybox:2 2
say "ready: DOCKER_HOST=unix://$sock"
