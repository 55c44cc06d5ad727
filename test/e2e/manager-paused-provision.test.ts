// #10 item 5: a leader paused (SIGSTOP) in the middle of a provision — after it forked the child,
// before it recorded it — past its lease, then woken (SIGCONT) after a new leader took over, must
// leave nothing of that provision behind: the child is killed, no state is written with the old
// epoch after the new leader acted, and never more than size + maxSurge processes run.
//
// The pause is exact, whatever the load: the new instance's own init (pause.sh, sourced so that
// $PPID is its manager) first takes the process plugin's fence lock, so its manager cannot record
// it, then stops the manager — only at a moment the manager holds none of the store's or the
// leadership's lock files (a manager paused inside those would stall the next leader, which is
// not this test's subject) — and then lets the lock go. On a busy machine the init may run only
// after its provision was already recorded: then it is too late for this instance, which exits,
// and its replacement tries again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  e2eWorkspace,
  eventually,
  liveInstances,
  ManagerProcess,
  type ManagerProcessOptions,
} from '../support/manager.js';
import { liveInstanceIds } from '../support/proc-env.js';

const GROUP = 'paused';
const SIZE = 4;
const MAX_SURGE = 1;
const run = randomBytes(6).toString('hex');

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
const managers: ManagerProcess[] = [];

const spec = (size: number, dir: string) => `
groups:
  - id: ${GROUP}
    allocation: { size: ${size} }
    instance: { plugin: process, properties: { env: { TEND_PAUSE_TEST: "${run}" } } }
    flavor:
      plugin: vanilla
      properties:
        init:
          - . ${dir}/pause.sh
          - exec sleep 600
    health: { grace: 1s, unhealthyAfter: 2s, maxInFlight: 1 }
    update: { maxSurge: ${MAX_SURGE}, maxUnavailable: 0, healthyFor: 300ms, timeout: 5m, onFailure: pause }
`;

/** Sourced by every instance's init: see the head of this file. */
const pauseScript = (dir: string, stateDir: string) => `
D='${dir}'; S='${stateDir}'
if [ -e "$D/armed" ] && mkdir "$D/paused" 2>/dev/null; then
  side="$S/epoch-fence.lock.init-$$"
  printf '{"pid":%s,"bootId":"%s","host":"init","token":"init-%s"}' $$ "$(cat /proc/sys/kernel/random/boot_id)" $$ > "$side"
  held=0; ln "$side" "$S/epoch-fence.lock" 2>/dev/null && held=1; rm -f "$side"
  if [ $held = 1 ] && [ ! -e "$S/$TEND_INSTANCE_ID.json" ]; then
    while :; do
      kill -STOP $PPID
      grep -qs "\\"pid\\":$PPID," "$D"/*lock "$D"/store/*lock || break
      kill -CONT $PPID; sleep 0.05
    done
    rm -f "$S/epoch-fence.lock"
    echo $TEND_INSTANCE_ID > "$D/paused/id.new" && mv "$D/paused/id.new" "$D/paused/id"
  else
    [ $held = 1 ] && rm -f "$S/epoch-fence.lock"
    echo "$TEND_INSTANCE_ID was recorded before its init ran" >> "$D/too-late"
    rmdir "$D/paused"; exit 0
  fi
fi
`;

before(async () => {
  workspace = await e2eWorkspace('paused-provision');
  writeFileSync(join(workspace.dir, 'pause.sh'), pauseScript(workspace.dir, workspace.stateDir));
});

after(async () => {
  for (const m of managers) m.signal('SIGCONT');
  await workspace?.cleanup();
});

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function readFence(stateDir: string): string {
  try {
    return readFileSync(join(stateDir, 'epoch-fence.json'), 'utf8').trim();
  } catch (error) {
    return `unreadable (${String(error)})`;
  }
}

/** Every state file of the group with its epoch tag and when it was last written. */
function stateFiles(stateDir: string): Array<{ id: string; epoch: string | undefined; writtenAt: number }> {
  const out = [];
  for (const name of readdirSync(stateDir)) {
    if (!/^proc-[0-9a-f]+\.json$/.test(name)) continue;
    try {
      const file = join(stateDir, name);
      const state = JSON.parse(readFileSync(file, 'utf8')) as { id: string; tags: Record<string, string> };
      if (state.tags['tend.group'] !== GROUP) continue;
      out.push({ id: state.id, epoch: state.tags['tend.epoch'], writtenAt: statSync(file).mtimeMs });
    } catch {
      // being replaced right now
    }
  }
  return out;
}

test('a leader paused mid-provision past its lease leaves nothing of it behind when it wakes', {
  timeout: 600_000,
}, async () => {
  const shared: Omit<ManagerProcessOptions, 'name'> = {
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    store: 'file',
    leadership: 'file',
    leaderFile: join(workspace.dir, 'leader'),
    storeDir: join(workspace.dir, 'store'),
    leaseTtlSeconds: 2,
    tickIntervalMs: 200,
  };
  const start = async (name: string) => {
    const m = await ManagerProcess.start({ ...shared, name });
    managers.push(m);
    workspace.managers.push(m);
    return m;
  };
  const first = await start('m1');
  await eventually('m1 to lead', async () => ((await first.isLeader()) ? true : undefined));
  const second = await start('m2');
  await first.client.apply(spec(SIZE - 1, workspace.dir));
  await eventually('the first instances', async () => {
    const group = (await first.client.status()).groups.find((g) => g.id === GROUP);
    return group?.phase === 'converged' && liveInstances(workspace.stateDir, GROUP).length === SIZE - 1
      ? true
      : undefined;
  });
  const oldEpoch = String((await first.client.leader()).self.epoch);

  let max = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      max = Math.max(max, liveInstanceIds({ TEND_PAUSE_TEST: run }).size);
      await sleep(20);
    }
  })();
  try {
    writeFileSync(join(workspace.dir, 'armed'), '');
    await first.client.apply(spec(SIZE, workspace.dir));
    const idFile = join(workspace.dir, 'paused', 'id');
    const paused = await eventually('the provision to pause its leader', () =>
      existsSync(idFile) && processState(first.pid) === 'T' ? readFileSync(idFile, 'utf8').trim() : undefined,
    );

    const newEpoch = await eventually('m2 to take over', async () => {
      const view = await second.client.leader();
      return view.self.role === 'leader' ? String(view.self.epoch) : undefined;
    });
    assert.notEqual(newEpoch, oldEpoch);
    await eventually('m2 to run the group at its size', async () => {
      const group = (await second.client.status()).groups.find((g) => g.id === GROUP);
      return group !== undefined && group.observed >= SIZE ? true : undefined;
    });
    const newLeaderActed = Date.now();

    first.signal('SIGCONT');
    await eventually('the woken leader to step down', async () =>
      (await first.client.leader()).self.role === 'standby' ? true : undefined,
    );
    // What the world looked like last, for the message if it never settles.
    let seen = 'nothing yet';
    await eventually('the group to settle under m2', async () => {
      const group = (await second.client.status()).groups.find((g) => g.id === GROUP);
      const live = liveInstanceIds({ TEND_PAUSE_TEST: run });
      seen =
        `phase ${group?.phase}, observed ${group?.observed}, ${live.size} live processes, ` +
        `paused child ${live.has(paused) ? 'alive' : 'gone'}, its state file ` +
        `${existsSync(join(workspace.stateDir, `${paused}.json`)) ? 'present' : 'absent'}`;
      return group?.phase === 'converged' &&
        group.observed === SIZE &&
        live.size === SIZE &&
        !live.has(paused)
        ? true
        : undefined;
    }).catch((error: unknown) => {
      throw new Error(
        `${String(error)}; last seen: ${seen}; fence ${readFence(workspace.stateDir)} ` +
          `(old epoch ${oldEpoch}, new ${newEpoch}); logs ${first.logFile}, ${second.logFile}`,
      );
    });
    assert.ok(
      !liveInstanceIds({ TEND_PAUSE_TEST: run }).has(paused),
      'the paused provision’s child was killed',
    );
    assert.ok(!existsSync(join(workspace.stateDir, `${paused}.json`)), 'and it has no state file');
    const late = stateFiles(workspace.stateDir).filter(
      (s) => s.epoch === oldEpoch && s.writtenAt > newLeaderActed,
    );
    assert.deepEqual(late, [], `state written by epoch ${oldEpoch} after epoch ${newEpoch} acted`);
  } finally {
    sampling = false;
    await sampler;
  }
  assert.ok(
    max <= SIZE + MAX_SURGE,
    `${max} instance processes alive at once (size ${SIZE} + surge ${MAX_SURGE}); logs in ${workspace.dir}`,
  );
});
