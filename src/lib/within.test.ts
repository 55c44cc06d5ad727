import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { within } from './within.js';

describe('within', () => {
  it('answers the work when it settles first', async () => {
    assert.equal(await within(Promise.resolve(1), 1000, () => 2), 1);
  });

  it('answers the fallback when the work never settles', async () => {
    assert.equal(await within(new Promise<number>(() => undefined), 5, () => 2), 2);
  });

  it('passes a rejection that comes first, and swallows one that comes late', async () => {
    await assert.rejects(
      within(Promise.reject(new Error('boom')), 1000, () => 2),
      /boom/,
    );
    let fail: (error: Error) => void = () => undefined;
    const late = new Promise<number>((_, reject) => {
      fail = reject;
    });
    assert.equal(await within(late, 5, () => 3), 3);
    fail(new Error('late'));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
