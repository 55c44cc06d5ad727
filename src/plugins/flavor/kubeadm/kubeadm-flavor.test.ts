import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { VirtualClock } from '../../../lib/index.js';
import { type InstanceSpec, instanceId, logicalId, TendError } from '../../../spi/index.js';
import { createKubeadmFlavor, kubeadmDocumentSchema, redactSecrets } from './index.js';

const testdata = join(import.meta.dirname, 'testdata');
const hash = `sha256:${'ab12'.repeat(16)}`;
const base = {
  controlPlaneEndpoint: '10.0.0.10:6443',
  kubernetesVersion: 'v1.31.2',
  caCertHashes: [hash],
  podSubnet: '10.244.0.0/16',
};
const ids = { logicalIds: ['cp1', 'cp2', 'cp3'].map(logicalId) };
const spec = (id?: string): InstanceSpec => ({
  tags: { 'tend.group': 'k8s' },
  init: '',
  attachments: [],
  ...(id === undefined ? {} : { logicalId: logicalId(id) }),
});
const index = { group: 'k8s', sequence: 0 };
const tokenPattern = /[a-z0-9]{6}\.[a-z0-9]{16}/g;

/** The YAML between the heredoc markers of an init script. */
function documentsOf(init: string): unknown[] {
  const yaml = /<<'TEND_KUBEADM'\n([\s\S]*?)\nTEND_KUBEADM/.exec(init)?.[1];
  assert.ok(yaml !== undefined, 'init has no kubeadm configuration');
  return parseAllDocuments(yaml).map((d) => d.toJSON() as unknown);
}

/** Golden comparison with the random parts replaced; UPDATE_GOLDEN=1 rewrites the files. */
function assertGolden(file: string, init: string): void {
  const stable = init
    .replace(tokenPattern, '<bootstrap-token>')
    .replace(/certificateKey: [a-f0-9]{64}/g, 'certificateKey: <certificate-key>');
  const path = join(testdata, file);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, stable);
  assert.equal(stable, readFileSync(path, 'utf8'));
}

test('the first control-plane ID inits, the others join as control plane, workers join', async () => {
  const flavor = createKubeadmFlavor();
  const cp = { ...base, role: 'control-plane' };
  const init = (await flavor.prepare(cp, spec('cp1'), ids, index)).init;
  const joinCp = (await flavor.prepare(cp, spec('cp2'), ids, index)).init;
  const worker = (
    await flavor.prepare({ ...base, role: 'worker' }, spec(), { size: 3 }, { group: 'k8s', sequence: 4 })
  ).init;
  assert.match(init, /kubeadm init --config \/etc\/tend\/kubeadm\/kubeadm.yaml --upload-certs/);
  assert.match(joinCp, /kubeadm join --config/);
  assertGolden('init.sh', init);
  assertGolden('join-control-plane.sh', joinCp);
  assertGolden('join-worker.sh', worker);
  // One token per group: what init registers is what every joiner presents.
  const tokens = new Set([init, joinCp, worker].flatMap((s) => s.match(tokenPattern) ?? []));
  assert.equal(tokens.size, 1);
});

test('generated documents match the kubeadm v1beta4 schema', async () => {
  const flavor = createKubeadmFlavor();
  const cp = { ...base, role: 'control-plane' };
  const scripts = [
    (await flavor.prepare(cp, spec('cp1'), ids, index)).init,
    (await flavor.prepare(cp, spec('cp3'), ids, index)).init,
    (await flavor.prepare({ ...base, role: 'worker' }, spec('w1'), { size: 1 }, index)).init,
  ];
  const kinds = scripts.flatMap((s) => documentsOf(s)).map((doc) => kubeadmDocumentSchema.parse(doc).kind);
  assert.deepEqual(kinds, [
    'InitConfiguration',
    'ClusterConfiguration',
    'JoinConfiguration',
    'JoinConfiguration',
  ]);
});

test('the schema rejects a misspelt field and a malformed token', () => {
  const join = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'JoinConfiguration',
    discovery: { bootstrapToken: { token: 'abcdef.0123456789abcdef', caCertHashes: [hash] } },
  };
  assert.equal(kubeadmDocumentSchema.safeParse(join).success, true);
  assert.equal(kubeadmDocumentSchema.safeParse({ ...join, discovry: {} }).success, false);
  const badToken = { ...join, discovery: { bootstrapToken: { token: 'ABCDEF.0123456789abcdef' } } };
  assert.equal(kubeadmDocumentSchema.safeParse(badToken).success, false);
});

test('tokens are random, well formed, kept out of tags, and reissued halfway through the TTL', async () => {
  const clock = new VirtualClock({ start: 0 });
  const flavor = createKubeadmFlavor({ clock });
  const props = { ...base, role: 'worker', tokenTtl: '2h' };
  const first = await flavor.prepare(props, spec('w1'), { size: 1 }, index);
  const token = first.init.match(tokenPattern)?.[0];
  assert.ok(token !== undefined && /^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(token));
  assert.ok(!JSON.stringify(first.tags).includes(token), 'the token leaked into tags');
  await clock.advance(59 * 60 * 1000);
  assert.equal(
    (await flavor.prepare(props, spec('w1'), { size: 1 }, index)).init.match(tokenPattern)?.[0],
    token,
  );
  await clock.advance(2 * 60 * 1000);
  assert.notEqual(
    (await flavor.prepare(props, spec('w1'), { size: 1 }, index)).init.match(tokenPattern)?.[0],
    token,
  );
  const other = await createKubeadmFlavor().prepare(props, spec('w1'), { size: 1 }, index);
  assert.notEqual(other.init.match(tokenPattern)?.[0], token, 'two flavors drew the same token');
});

test('redaction removes tokens and certificate keys but keeps CA hashes', () => {
  const key = 'f'.repeat(64);
  const text = `join with abcdef.0123456789abcdef key ${key} pin ${hash}`;
  assert.equal(redactSecrets(text), `join with [redacted-token] key [redacted-key] pin ${hash}`);
});

test('properties errors name the field; control planes need logical IDs; health is unknown without kubeconfig', async () => {
  const flavor = createKubeadmFlavor();
  await assert.rejects(
    flavor.validate({ ...base, role: 'worker', caCertHashes: ['md5:12'] }, { size: 1 }),
    (error: unknown) =>
      TendError.is(error, 'invalid_spec') && error.message.includes('properties.caCertHashes[0]'),
  );
  await assert.rejects(
    flavor.validate({ ...base, role: 'control-plane' }, { size: 3 }),
    /allocation.logicalIds/,
  );
  const prepared = await flavor.prepare({ ...base, role: 'worker' }, spec('w1'), { size: 1 }, index);
  assert.equal(
    await flavor.healthy({ ...base, role: 'worker' }, { id: instanceId('i-1'), tags: prepared.tags }),
    'unknown',
  );
});
