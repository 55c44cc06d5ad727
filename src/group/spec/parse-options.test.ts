import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TendError } from '../../spi/index.js';
import { MAX_SPEC_BYTES, parseSpecDocument } from './parse-document.js';

const group = `groups:
  - id: workers
    allocation: { size: 3 }
    instance: { plugin: docker }
    flavor: { plugin: vanilla }
`;

describe('parseSpecDocument: size limit and options', () => {
  test('a 5 MB document is refused before parsing', () => {
    const padding = `    # ${'x'.repeat(1024)}\n`.repeat(5 * 1024);
    const text = group + padding;
    assert.ok(Buffer.byteLength(text) > 5 * MAX_SPEC_BYTES - 1);
    assert.throws(
      () => parseSpecDocument(text),
      (error: unknown) =>
        TendError.is(error, 'invalid_spec') &&
        error.message === 'document is 5.0 MiB; the limit is 1 MiB' &&
        JSON.stringify(error.details.problems) ===
          '[{"path":"","message":"document is 5.0 MiB; the limit is 1 MiB"}]',
    );
  });

  test('the source is named first and kept in details', () => {
    try {
      parseSpecDocument(group.replace('size: 3', 'size: -1'), { source: 'workers.yaml' });
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(TendError.is(error, 'invalid_spec'));
      assert.equal(
        error.message,
        'invalid spec in workers.yaml:\ngroups[0].allocation.size: expected a whole number ≥ 0, got -1',
      );
      assert.equal(error.details.source, 'workers.yaml');
      assert.deepEqual(error.details.problems, [
        { path: 'groups[0].allocation.size', message: 'expected a whole number ≥ 0, got -1' },
      ]);
    }
  });

  test('isKnownPlugin sees the kind and the name as written', () => {
    const seen: string[] = [];
    parseSpecDocument(group.replace('plugin: vanilla', 'plugin: flavor-zk/member'), {
      isKnownPlugin: (kind, name) => {
        seen.push(`${kind}:${name}`);
        return true;
      },
    });
    assert.deepEqual(seen.sort(), ['flavor:flavor-zk/member', 'instance:docker']);
  });
});
