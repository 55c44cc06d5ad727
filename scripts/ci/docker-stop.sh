#!/usr/bin/env bash
# Stops the engine docker-start.sh started, by its PID file; nothing else. Safe to run twice.
set -euo pipefail

state=${TEND_DOCKER_STATE:-/var/run/tend-docker}
pidfile="$state/dockerd.pid"
wait_s=${TEND_DOCKER_STOP_WAIT:-30}

say() { printf 'docker-stop: %s\n' "$*" >&2; }

if [ ! -f "$pidfile" ]; then
  say "no PID file at $pidfile; nothing to stop"
  exit 0
fi
pid=$(cat "$pidfile")
if ! kill -0 "$pid" 2>/dev/null; then
  say "dockerd pid $pid is not running"
  rm -f "$pidfile"
  exit 0
fi
# SIGTERM lets dockerd stop its containers and its managed containerd cleanly.
kill -TERM "$pid"
deadline=$((SECONDS + wait_s))
while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.25; done
if kill -0 "$pid" 2>/dev/null; then
  say "dockerd pid $pid ignored SIGTERM for ${wait_s}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
say "stopped dockerd pid $pid"
