// #12 step 4: plan is a read (viewers may), the audit log names the action, group and revision,
// and a write refused for want of a token is audited.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { TokenStore } from '../../auth/index.js';
import { Manager } from '../../manager/index.js';
import {
  fakeControllers,
  fakeResolver,
  ManualLeadership,
  sampleSpec,
} from '../../manager/testing/manager-fixtures.js';
import { MemoryStore } from '../../store/index.js';
import { ManagerClient } from '../index.js';
import { auditAction } from './http-handler.js';

const guard = { timeout: 20_000 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test(
  'viewers may plan, not apply; audit names plan, apply, scale with group and revision',
  guard,
  async () => {
    const tokens = await TokenStore.open();
    let leadership: ManualLeadership | undefined;
    const manager = await Manager.create({
      name: 'm1',
      store: new MemoryStore(),
      resolver: fakeResolver(),
      leadership: ({ address }) => {
        leadership = new ManualLeadership({ name: 'm1', address });
        return leadership;
      },
      listen: { port: 0 },
      createController: fakeControllers().create,
      tokens,
    });
    cleanups.push(() => manager.stop());
    manager.start();
    leadership?.grant(1);
    while (!manager.isLeader()) await new Promise((resolve) => setTimeout(resolve, 5));
    const admin = new ManagerClient({ url: manager.address, token: manager.localToken });
    const { token } = await admin.createToken('looker', 'viewer');
    const viewer = new ManagerClient({ url: manager.address, token });

    const plan = await viewer.plan(sampleSpec('web', 2));
    assert.equal(plan.dryRun, true);
    await assert.rejects(viewer.apply(sampleSpec('web', 2)), /needs the admin role/);
    await admin.apply(sampleSpec('web', 2));
    await admin.scale('web', 3);
    const anonymous = await fetch(`${manager.address}/v1/groups/web/scale`, {
      method: 'POST',
      body: JSON.stringify({ size: 9 }),
    });
    assert.equal(anonymous.status, 401);

    const { entries } = await admin.audit(20);
    const brief = entries
      .filter((e) => e.what !== 'POST /v1/tokens')
      .map((e) => [e.who, e.action, e.group, e.revision, e.result]);
    assert.deepEqual(brief, [
      ['looker', 'plan', undefined, undefined, 'ok'],
      ['looker', 'apply', undefined, undefined, 'error'],
      [entries.find((e) => e.action === 'apply' && e.result === 'ok')?.who, 'apply', 'web', 1, 'ok'],
      [entries.find((e) => e.action === 'scale')?.who, 'scale', 'web', 2, 'ok'],
      ['(unauthenticated)', 'scale', 'web', undefined, 'error'],
    ]);
    assert.equal(entries.at(-1)?.role, 'none');
  },
);

test('audit actions are named in the CLI’s words', () => {
  assert.equal(auditAction('/v1/apply', false), 'apply');
  assert.equal(auditAction('/v1/apply', true), 'plan');
  assert.equal(auditAction('/v1/groups/:id/rollout/undo', false), 'rollout undo');
  assert.equal(auditAction('/v1/groups/:id/instances/destroy', false), 'instances destroy');
  assert.equal(auditAction('/v1/tokens', false), 'tokens');
});
