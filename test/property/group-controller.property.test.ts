// Properties of the group controller on the simulator, over many seeds (TEND_PROPERTY_SEEDS,
// default 200). Each seed: converge, a 40 s fault phase (maybe with a rollout and a leader
// change), faults off,
// converge again within convergenceBoundMs(size) — see harness.ts for the bound's derivation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, scenario } from './harness.js';

const seeds = Number(process.env.TEND_PROPERTY_SEEDS ?? 200);
const base = Number(process.env.TEND_PROPERTY_BASE_SEED ?? 1);

test(`group controller invariants hold for ${seeds} seeds`, async (t) => {
  const failures: string[] = [];
  let worst = 0;
  for (let seed = base; seed < base + seeds; seed++) {
    const s = scenario(seed);
    const result = await run(s);
    for (const v of new Set(result.violations)) failures.push(`seed ${seed}: ${v}`);
    if (result.convergedAfterMs === undefined)
      failures.push(`seed ${seed}: did not converge within ${result.boundMs} ms`);
    else worst = Math.max(worst, result.convergedAfterMs / result.boundMs);
  }
  t.diagnostic(`worst convergence after faults stopped: ${(worst * 100).toFixed(1)}% of the stated bound`);
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
  assert.ok(worst <= 1, `worst convergence used ${worst.toFixed(2)} of the bound`);
});
