// Issue #10 failure 7: a state file damaged by hand (garbage, truncated) must not leave its
// process running untracked beside the replacement the controller then asks for. Checked on
// real processes, counted from /proc, not through the plugin's own view.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import type { Logger } from '../../src/lib/index.js';
import { createProcessPlugin } from '../../src/plugins/instance/process/index.js';
import { type InstanceSpec, TAG_GROUP, TAG_OP } from '../../src/spi/index.js';
import { killProcessesWithEnv, liveInstanceIds } from '../support/proc-env.js';

const marker = { TEND_TEST_RUN: randomBytes(8).toString('hex') };
const root = await mkdtemp(join(tmpdir(), 'tend-process-damaged-'));
after(async () => {
  killProcessesWithEnv(marker);
  await rm(root, { recursive: true, force: true });
});

const spec = (op: string): InstanceSpec => ({
  tags: { [TAG_GROUP]: 'g', [TAG_OP]: op },
  init: 'while true; do sleep 1; done',
  properties: { env: marker },
  attachments: [],
});

function recordingLogger(lines: { message: string; fields: Record<string, unknown> }[]): Logger {
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message, fields = {}) => lines.push({ message, fields }),
    error: (message, fields = {}) => lines.push({ message, fields }),
    child: () => logger,
  };
  return logger;
}

it('a damaged state file is quarantined, its process reaped, and reported', { timeout: 60_000 }, async () => {
  const stateDir = join(root, 'state');
  const first = createProcessPlugin({ stateDir });
  const ids = [];
  for (const op of ['op-a', 'op-b', 'op-c']) ids.push(await first.provision(spec(op)));
  await first.close();
  assert.equal(liveInstanceIds(marker).size, 3);

  // A restart finds one file overwritten with garbage and one truncated to nothing.
  const [garbage, truncated, intact] = ids;
  assert.ok(garbage !== undefined && truncated !== undefined && intact !== undefined);
  await writeFile(join(stateDir, `${garbage}.json`), '{"version":1,"id":"proc-');
  await writeFile(join(stateDir, `${truncated}.json`), '');
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  const second = createProcessPlugin({ stateDir, logger: recordingLogger(warnings) });
  try {
    const seen = await second.describeInstances({ [TAG_GROUP]: 'g' });
    assert.deepEqual(
      seen.map((d) => d.id),
      [intact],
    );
    // What the controller does next: replace the two it no longer sees.
    await second.provision(spec('op-a-2'));
    await second.provision(spec('op-b-2'));
    const alive = liveInstanceIds(marker);
    const tracked = new Set((await second.describeInstances({ [TAG_GROUP]: 'g' })).map((d) => d.id));
    assert.equal(alive.size, 3, `live instances: ${[...alive].join(', ')}`);
    assert.deepEqual([...alive].sort(), [...tracked].sort());

    const names = await readdir(stateDir);
    assert.ok(
      names.some((n) => n.startsWith(`${garbage}.json.damaged`)),
      names.join(' '),
    );
    assert.ok(
      names.some((n) => n.startsWith(`${truncated}.json.damaged`)),
      names.join(' '),
    );
    for (const id of [garbage, truncated]) {
      const named = warnings.filter((w) => String(w.fields.file).includes(`${id}.json`));
      assert.ok(
        named.some((w) => w.message === 'damaged state file quarantined'),
        JSON.stringify(warnings),
      );
    }
  } finally {
    await second.close();
  }
});

it('a file damaged while nobody describes is still found: the plugin reconciles on its own', {
  timeout: 60_000,
}, async () => {
  const stateDir = join(root, 'quiet');
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  const plugin = createProcessPlugin({
    stateDir,
    orphanScanIntervalMs: 100,
    logger: recordingLogger(warnings),
  });
  try {
    const id = await plugin.provision(spec('op-quiet'));
    assert.ok(liveInstanceIds(marker).has(id));
    // Its group was destroyed, say: no describe comes any more. Then the file is damaged.
    await writeFile(join(stateDir, `${id}.json`), 'garbage');
    while (liveInstanceIds(marker).has(id)) await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      warnings.some((w) => w.message === 'untracked instance process reaped' && w.fields.instance === id),
    );
  } finally {
    await plugin.close();
  }
});
