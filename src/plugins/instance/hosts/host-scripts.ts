// The shell side of the plugin: POSIX sh run on each host through `sh -c SCRIPT tend ARGS…`.
// Arguments are validated names (claim dir, instance ID); everything else (records, scripts)
// comes on stdin, so nothing a spec says is ever parsed by a shell as code outside its own file.
//
// Layout under the claim dir D (see docs/decisions.md, "hosts"):
//   D/claim                   symlink -> instances/<id>/claim.json: THE claim; `ln -s` is atomic,
//                             so of two claimants exactly one succeeds (the target is a file, not
//                             a directory: `ln -s` onto a link to a directory would succeed inside it)
//   D/instances/<id>/claim.json   {op, id, group, tags, claimedAt, …}, rewritten by label via mv
//   D/instances/<id>/init.sh      the Init script; init.pid, init.exit once it ran; log its output
//   D/instances/<id>/health.sh    optional check run on every describe (exit 0 = healthy)
//   D/history/<id>/               a released instance (its log), the newest 20 kept

/** How many released instances' logs a host keeps. */
export const HISTORY_KEPT = 20;

const prelude = `set -u
D=$1
mkdir -p "$D/instances" "$D/history" || { echo "error cannot create $D"; exit 0; }
`;

/**
 * Prints `free`, or `claim <json>` then `init running|<exit code>` then optionally
 * `health <exit code>`. The health check runs only once the Init finished well.
 */
export const readScript = `${prelude}
cur=$(readlink "$D/claim" 2>/dev/null) || { echo free; exit 0; }
dir="$D/\${cur%/claim.json}"
if [ ! -f "$dir/claim.json" ]; then echo "broken $cur"; exit 0; fi
printf 'claim '; tr -d '\\n' < "$dir/claim.json"; echo
if [ -f "$dir/init.exit" ]; then
  rc=$(cat "$dir/init.exit"); echo "init $rc"
  if [ "$rc" = 0 ] && [ -f "$dir/health.sh" ]; then
    if command -v timeout >/dev/null 2>&1; then (cd "$dir" && timeout 10 sh ./health.sh) </dev/null >/dev/null 2>&1
    else (cd "$dir" && sh ./health.sh) </dev/null >/dev/null 2>&1; fi
    echo "health $?"
  fi
else
  echo "init running"
fi
`;

/**
 * $2 = instance ID. stdin: the claim record (one JSON line), a line with the health check's
 * number of lines, those lines, then the Init script. Prints `claimed` or `taken <json>`.
 * The new instance dir is complete before the link names it, so a claim always has its record.
 */
export const claimScript = `${prelude}
id=$2
# Leftovers of claimants that died between preparing and linking: no claim names them, and
# they are old (a live claimant links within seconds, so its fresh dir is never taken away).
cur=$(readlink "$D/claim" 2>/dev/null) || cur=
if command -v find >/dev/null 2>&1; then
  find "$D/instances" "$D" -mindepth 1 -maxdepth 1 -mmin +10 \\( -path "$D/instances/*" -o -name '.new-*' \\) 2>/dev/null |
  while IFS= read -r old; do
    [ "instances/\${old##*/}/claim.json" = "$cur" ] || rm -rf "$old"
  done
fi
tmp="$D/.new-$id"
rm -rf "$tmp" && mkdir "$tmp" || { echo "error cannot create $tmp"; exit 0; }
IFS= read -r record; printf '%s\\n' "$record" > "$tmp/claim.json"
IFS= read -r lines; i=0
while [ "$i" -lt "$lines" ]; do IFS= read -r line; printf '%s\\n' "$line" >> "$tmp/health.sh"; i=$((i+1)); done
cat > "$tmp/init.sh"
: > "$tmp/log"
mv "$tmp" "$D/instances/$id" || { echo "error cannot move $tmp"; exit 0; }
if ln -s "instances/$id/claim.json" "$D/claim" 2>/dev/null; then
  sync "$D" 2>/dev/null || sync
  echo claimed; exit 0
fi
rm -rf "$D/instances/$id"
cur=$(readlink "$D/claim" 2>/dev/null) || { echo "error claim vanished while taken"; exit 0; }
printf 'taken '; tr -d '\\n' < "$D/$cur" 2>/dev/null; echo
`;

/**
 * $2 = instance ID, $3 = wait (1) or only start (0). Starts the Init once per claim, in a session
 * of its own so it survives this SSH connection and the manager, then (with wait) polls until it
 * exits and prints `exit <code>`. A retried provision lands here too and just waits.
 */
export const initScript = `${prelude}
id=$2
dir="$D/instances/$id"
[ "$(readlink "$D/claim" 2>/dev/null)" = "instances/$id/claim.json" ] || { echo "lost"; exit 0; }
cd "$dir" || { echo lost; exit 0; }
if mkdir started 2>/dev/null; then
  export TEND_INSTANCE_ID="$id" TEND_CLAIM_DIR="$D"
  wrapper='sh ./init.sh </dev/null >>log 2>&1; echo $? > init.exit.tmp; mv init.exit.tmp init.exit'
  if command -v setsid >/dev/null 2>&1; then setsid sh -c "$wrapper" </dev/null >/dev/null 2>&1 &
  else (trap '' HUP; sh -c "$wrapper") </dev/null >/dev/null 2>&1 & fi
  echo $! > init.pid
fi
[ "$3" = 1 ] || { echo started; exit 0; }
while [ ! -f init.exit ]; do
  [ "$(readlink "$D/claim" 2>/dev/null)" = "instances/$id/claim.json" ] || { echo lost; exit 0; }
  sleep 0.2
done
echo "exit $(cat init.exit)"
`;

/**
 * $2 = instance ID. stdin: the reset script. Stops what is left of the Init's session, runs the
 * reset (output appended to the instance's log), and only when it succeeds releases the claim:
 * a host whose reset failed is not handed to the next claimant. Prints `absent`, `released` or
 * `reset-failed <code>`.
 */
export const releaseScript = `${prelude}
id=$2
[ "$(readlink "$D/claim" 2>/dev/null)" = "instances/$id/claim.json" ] || { cat >/dev/null; echo absent; exit 0; }
dir="$D/instances/$id"
cat > "$dir/reset.sh"
cd "$dir" || { echo absent; exit 0; }
if [ -f init.pid ]; then
  pid=$(cat init.pid)
  kill -TERM -- "-$pid" 2>/dev/null
  i=0; while kill -0 -- "-$pid" 2>/dev/null && [ $i -lt 25 ]; do sleep 0.2; i=$((i+1)); done
  kill -KILL -- "-$pid" 2>/dev/null
fi
echo "--- reset $(date -u +%Y-%m-%dT%H:%M:%SZ) ---" >> log
TEND_INSTANCE_ID="$id" sh ./reset.sh </dev/null >> log 2>&1
rc=$?
echo "--- reset exited $rc ---" >> log
if [ "$rc" != 0 ]; then echo "reset-failed $rc"; exit 0; fi
cd /
rm "$D/claim" || { echo "error cannot remove $D/claim"; exit 0; }
sync "$D" 2>/dev/null || sync
rm -rf "$D/history/$id"; mv "$dir" "$D/history/$id" 2>/dev/null
ls -1t "$D/history" | tail -n +${HISTORY_KEPT + 1} | while IFS= read -r old; do rm -rf "$D/history/$old"; done
echo released
`;

/** $2 = instance ID. stdin: the new claim record. Prints `labeled` or `absent`. */
export const labelScript = `${prelude}
id=$2
[ "$(readlink "$D/claim" 2>/dev/null)" = "instances/$id/claim.json" ] || { cat >/dev/null; echo absent; exit 0; }
dir="$D/instances/$id"
IFS= read -r record; printf '%s\\n' "$record" > "$dir/claim.json.tmp" && mv "$dir/claim.json.tmp" "$dir/claim.json"
echo labeled
`;

/** $2 = instance ID, $3 = bytes. Prints `log` then the tail, or `absent`. */
export const logsScript = `${prelude}
id=$2
for f in "$D/instances/$id/log" "$D/history/$id/log"; do
  if [ -f "$f" ]; then echo log; tail -c "$3" "$f"; exit 0; fi
done
echo absent
`;
