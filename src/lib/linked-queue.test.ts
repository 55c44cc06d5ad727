import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinkedQueue } from './linked-queue.js';

const drain = <T>(queue: LinkedQueue<T>): T[] => {
  const out: T[] = [];
  for (let v = queue.shift(); v !== undefined; v = queue.shift()) out.push(v);
  return out;
};

test('first in, first out', () => {
  const queue = new LinkedQueue<number>();
  for (let i = 0; i < 5; i++) queue.push(i);
  assert.equal(queue.size, 5);
  assert.equal(queue.peek(), 0);
  assert.deepEqual(drain(queue), [0, 1, 2, 3, 4]);
  assert.equal(queue.size, 0);
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.peek(), undefined);
});

test('removing the head, the tail or one in the middle keeps the others in order', () => {
  const queue = new LinkedQueue<string>();
  const entries = ['a', 'b', 'c', 'd', 'e'].map((v) => queue.push(v));
  const [a, , c, , e] = entries;
  assert.ok(a && c && e);
  assert.equal(queue.remove(c), true);
  assert.equal(queue.remove(a), true);
  assert.equal(queue.remove(e), true);
  assert.equal(queue.size, 2);
  queue.push('f');
  assert.deepEqual(drain(queue), ['b', 'd', 'f']);
});

test('removing an entry twice, after a shift, or from another queue changes nothing', () => {
  const queue = new LinkedQueue<number>();
  const other = new LinkedQueue<number>();
  const one = queue.push(1);
  const two = queue.push(2);
  const foreign = other.push(9);
  assert.equal(queue.shift(), 1);
  assert.equal(queue.remove(one), false, 'already shifted');
  assert.equal(queue.remove(foreign), false, "another queue's entry");
  assert.equal(queue.remove(two), true);
  assert.equal(queue.remove(two), false, 'already removed');
  assert.equal(queue.size, 0);
  assert.equal(other.size, 1);
  queue.push(3);
  assert.deepEqual(drain(queue), [3]);
});

test('the last entry removed empties the queue for new pushes', () => {
  const queue = new LinkedQueue<number>();
  const only = queue.push(1);
  queue.remove(only);
  assert.equal(queue.peek(), undefined);
  queue.push(2);
  queue.push(3);
  assert.deepEqual(drain(queue), [2, 3]);
});
