import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InstanceSpec, logicalId } from '../../../spi/index.js';
import { containerCreateOptions, containerName, LABEL_MANAGED, tagsFromLabels } from './container-spec.js';

const base: InstanceSpec = {
  tags: { 'tend.group': 'workers', 'tend.op': 'op-1', role: 'db' },
  init: '',
  attachments: [],
};

test('a non-empty init script replaces the entrypoint with sh -c', () => {
  const options = containerCreateOptions(
    { ...base, init: 'echo hi\nsleep 5' },
    { image: 'a', command: ['x'] },
  );
  assert.deepEqual(options.Entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(options.Cmd, ['echo hi\nsleep 5']);
});

test('without init, properties.command runs, else the image default', () => {
  assert.deepEqual(containerCreateOptions(base, { image: 'a', command: ['sleep', '5'] }).Cmd, ['sleep', '5']);
  const plain = containerCreateOptions({ ...base, init: '   ' }, { image: 'a' });
  assert.equal(plain.Cmd, undefined);
  assert.equal(plain.Entrypoint, undefined);
});

test('tags become labels, with the logical ID and the ownership mark', () => {
  const options = containerCreateOptions({ ...base, logicalId: logicalId('m1') }, { image: 'a' });
  assert.deepEqual(options.Labels, {
    'tend.group': 'workers',
    'tend.op': 'op-1',
    role: 'db',
    'tend.logical': 'm1',
    [LABEL_MANAGED]: 'tend-docker',
  });
  assert.deepEqual(tagsFromLabels(options.Labels), {
    'tend.group': 'workers',
    'tend.op': 'op-1',
    role: 'db',
    'tend.logical': 'm1',
  });
});

test('host settings map to the engine fields', () => {
  const options = containerCreateOptions(base, {
    image: 'a',
    env: { A: '1' },
    mounts: [
      { source: '/s', target: '/t', readOnly: true },
      { source: '/u', target: '/v' },
    ],
    networkMode: 'none',
    resources: { memory: '64m', cpus: 1.5 },
    restartPolicy: 'always',
  });
  assert.deepEqual(options.Env, ['A=1']);
  assert.deepEqual(options.HostConfig, {
    NetworkMode: 'none',
    Mounts: [
      { Type: 'bind', Source: '/s', Target: '/t', ReadOnly: true },
      { Type: 'bind', Source: '/u', Target: '/v', ReadOnly: false },
    ],
    Memory: 64 * 1024 * 1024,
    NanoCpus: 1_500_000_000,
    RestartPolicy: { Name: 'always' },
  });
});

test('the container name is derived from the op key, deterministic and engine-safe', () => {
  const a = containerName({ 'tend.group': 'my group/1', 'tend.op': 'k1' }, 'member:a');
  assert.equal(a, containerName({ 'tend.group': 'my group/1', 'tend.op': 'k1' }, 'member:a'));
  assert.notEqual(a, containerName({ 'tend.group': 'my group/1', 'tend.op': 'k2' }, 'member:a'));
  assert.match(a ?? '', /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
  assert.match(a ?? '', /^tend-my-group-1-member-a-[0-9a-f]{16}$/);
  assert.equal(containerName({ 'tend.group': 'g' }, undefined), undefined);
});
