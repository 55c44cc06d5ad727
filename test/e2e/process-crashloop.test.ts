// A crash loop on real processes: a group whose init is `exit 1`. Every provision succeeds, the
// plugin's watch reports each exit at once, and the vanilla flavor calls every live process
// healthy — the loop must still end with the breaker open after a bounded number of processes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createGroupController, memoryJournal } from '../../src/group/index.js';
import { createVanillaFlavor } from '../../src/plugins/flavor/vanilla/index.js';
import { createProcessPlugin } from '../../src/plugins/instance/process/index.js';
import { type GroupEvent, type GroupSpec, groupId, type InstancePlugin } from '../../src/spi/index.js';
import { eventually, killAllInstances } from '../support/manager.js';

const dir = await mkdtemp(join(tmpdir(), 'tend-process-crashloop-'));
const stateDir = join(dir, 'instances');

after(async () => {
  killAllInstances(stateDir);
  await rm(dir, { recursive: true, force: true });
});

const spec = (id: string, init: string[]): GroupSpec => ({
  id: groupId(id),
  allocation: { size: 2 },
  instance: { plugin: 'process' },
  flavor: { plugin: 'vanilla', properties: { init } },
  health: { graceMs: 1_000, unhealthyAfterMs: 2_000, maxInFlight: 1 },
  update: { maxSurge: 1, maxUnavailable: 0, healthyForMs: 500, timeoutMs: 60_000, onFailure: 'pause' },
  scaleIn: { order: 'oldest' },
});

/** Runs a group on the real process plugin, counting provision calls. */
function group(groupSpec: GroupSpec) {
  const plugin = createProcessPlugin({ stateDir, pollIntervalMs: 100 });
  let provisions = 0;
  const counted: InstancePlugin = {
    ...plugin,
    validate: (p, o) => plugin.validate(p, o),
    label: (id, l, o) => plugin.label(id, l, o),
    destroy: (id, c, o) => plugin.destroy(id, c, o),
    describeInstances: (t, o) => plugin.describeInstances(t, o),
    watch: (listener) => plugin.watch(listener),
    provision: (s, o) => {
      provisions += 1;
      return plugin.provision(s, o);
    },
  };
  const events: GroupEvent[] = [];
  const controller = createGroupController({
    spec: groupSpec,
    instancePlugin: counted,
    flavorPlugin: createVanillaFlavor(),
    journal: memoryJournal(),
    epoch: 1,
    tickIntervalMs: 200,
    // A small fixed jitter draw keeps the backoff short in real time; the count is what matters.
    random: () => 0.1,
    breaker: { threshold: 5, coolDownMs: 600_000 },
    onEvent: (e) => events.push(e),
  });
  controller.start(new AbortController().signal);
  const stop = async () => {
    await controller.destroyAll();
    await plugin.close();
  };
  return { controller, events, stop, provisions: () => provisions };
}

test('a group whose init is `exit 1` ends with the breaker open after a few processes', {
  timeout: 120_000,
}, async () => {
  const g = group(spec('crasher', ['exit 1']));
  try {
    await eventually('the breaker to open', () => (g.controller.status().breaker.open ? true : undefined), {
      attempts: 1_000,
      intervalMs: 100,
    });
    const status = g.controller.status();
    assert.match(status.breaker.reason ?? '', /instances keep exiting soon after creation/);
    const made = g.provisions();
    // Two slots, five failures in a row: at most a round more than the threshold, not hundreds.
    assert.ok(made >= 5 && made <= 7, `${made} processes provisioned`);
    // Open with a ten-minute cool-down: a few more seconds (many ticks) start nothing.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(g.provisions(), made, 'no provisions while the breaker is open');
  } finally {
    await g.stop();
  }
});

test('a group of long-running processes is left alone', { timeout: 120_000 }, async () => {
  const g = group(spec('sleepers', ['while true; do sleep 1; done']));
  try {
    await eventually('two live instances', () =>
      g.controller.status().observed === 2 && g.controller.status().healthy === 2 ? true : undefined,
    );
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(g.provisions(), 2);
    assert.equal(g.controller.status().breaker.consecutiveFailures, 0);
  } finally {
    await g.stop();
  }
});
