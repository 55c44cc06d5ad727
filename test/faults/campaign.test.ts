// Issue #10's fault campaign, bounded for CI: a fixed set of seeds per fault family, each a fresh
// world of real `tend up` managers and real processes (test/faults/), with the invariants checked
// against the processes alive on this machine. `npm run bench -- faults` runs the long campaign.
// Every family is enforced: a violation fails the test and prints its reproduction command.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EtcdCluster, etcdSkip, startEtcdCluster } from '../support/etcd.js';
import { reproduction, runSeed } from './campaign.js';
import type { FaultKind } from './faults.js';
import type { SetupKind } from './setup.js';

const STEPS = 3;

interface Family {
  name: string;
  faults: FaultKind[];
  runs: Array<{ seed: number; setup: SetupKind }>;
}

const families: Family[] = [
  {
    name: 'kill -9 and SIGSTOP of a manager',
    faults: ['kill-manager', 'pause-manager'],
    runs: [
      { seed: 11, setup: 'file' },
      { seed: 12, setup: 'etcd' },
    ],
  },
  {
    name: 'etcd paused',
    faults: ['pause-etcd'],
    runs: [{ seed: 21, setup: 'etcd' }],
  },
  {
    name: 'a torn or empty history file',
    faults: ['torn-history', 'empty-history'],
    runs: [{ seed: 31, setup: 'file' }],
  },
  {
    name: 'garbage in a process state file',
    faults: ['garbage-state'],
    runs: [
      { seed: 41, setup: 'file' },
      { seed: 42, setup: 'etcd' },
    ],
  },
  {
    name: 'a plugin that hangs, lies, answers garbage or answers huge',
    faults: ['hostile-hang', 'hostile-lie', 'hostile-garbage', 'hostile-huge'],
    runs: [{ seed: 51, setup: 'file' }],
  },
];

const skipEtcd = etcdSkip();
if (skipEtcd !== false) console.log(`# fault campaign: etcd seeds skipped: ${skipEtcd}`);

let etcd: EtcdCluster | undefined;
before(async () => {
  if (skipEtcd === false) etcd = await startEtcdCluster({ members: 1 });
});
after(async () => {
  await etcd?.stop();
});

describe('fault campaign (bounded)', () => {
  for (const family of families) {
    for (const run of family.runs) {
      const options = run.setup === 'etcd' && skipEtcd !== false ? { skip: skipEtcd } : {};
      test(`${family.name}: seed ${run.seed}, ${run.setup} setup`, options, async () => {
        const { result } = await runSeed({
          seed: run.seed,
          setup: run.setup,
          steps: STEPS,
          faults: family.faults,
          ...(etcd === undefined ? {} : { etcd }),
          log: (line) => console.log(`# ${line}`),
        });
        assert.equal(result.faults.length, STEPS, 'every step injected its fault');
        const report = result.violations.map(
          (v) => `${v.invariant} at step ${v.step} (${v.fault}): ${v.detail}`,
        );
        assert.deepEqual(
          report,
          [],
          `violations; reproduce with: ${reproduction(run.seed, run.setup, STEPS, family.faults)}`,
        );
      });
    }
  }
});
