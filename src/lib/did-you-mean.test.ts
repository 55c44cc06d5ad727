import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestName, editDistance } from './did-you-mean.js';

test('editDistance counts edits up to its cap', () => {
  assert.equal(editDistance('vanila', 'vanilla'), 1);
  assert.equal(editDistance('flavour', 'flavor'), 1);
  assert.equal(editDistance('abc', 'abc'), 0);
  assert.equal(editDistance('abc', 'xyzuvw'), 3);
});

test('closestName suggests the nearest candidate, or nothing', () => {
  const builtins = ['vanilla', 'combo', 'etcd', 'zookeeper', 'kubeadm'];
  assert.equal(closestName('vanila', builtins), 'vanilla');
  assert.equal(closestName('Combo', builtins), 'combo');
  assert.equal(closestName('zookeper', builtins), 'zookeeper');
  assert.equal(closestName('nothing-like-it', builtins), undefined);
  assert.equal(closestName('procss', ['process', 'docker']), 'process');
});
