// Throws random bytes and random (JSON-RPC-shaped) JSON at the dispatcher: every answer must be
// well-formed JSON-RPC 2.0, and only notifications may go unanswered. The seed is fixed so a
// failure replays; fast-check prints it with the counterexample.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { TendError } from '../spi/index.js';
import { JsonRpcDispatcher } from './json-rpc-dispatcher.js';

const SEED = Number(process.env.TEND_FUZZ_SEED ?? 20260415);
const RUNS = 300;

function dispatcher(): JsonRpcDispatcher {
  const d = new JsonRpcDispatcher();
  d.register('echo', async (params) => params);
  d.register('strict', async (params) => z.object({ ID: z.string(), Size: z.number().int() }).parse(params));
  d.register('fail', async (params) => {
    throw typeof params === 'object' && params !== null && 'plain' in params
      ? new Error('plain failure')
      : new TendError('throttled', 'slow down');
  });
  return d;
}

const idShape = z.union([z.string(), z.number(), z.null()]);
const responseShape = z.union([
  z.strictObject({ jsonrpc: z.literal('2.0'), id: idShape, result: z.unknown() }),
  z.strictObject({
    jsonrpc: z.literal('2.0'),
    id: idShape,
    error: z.strictObject({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }),
  }),
]);

function isNotification(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !('id' in value);
}

function checkAnswer(body: string, answer: string | undefined): void {
  let input: unknown;
  let parsedInput = true;
  try {
    input = JSON.parse(body);
  } catch {
    parsedInput = false;
  }
  if (answer === undefined) {
    assert.ok(parsedInput, 'unparseable input must be answered with -32700');
    const onlyNotifications = Array.isArray(input)
      ? input.length > 0 && input.every(isNotification)
      : isNotification(input);
    assert.ok(onlyNotifications, `no answer for a body that is not all notifications: ${body}`);
    return;
  }
  const output: unknown = JSON.parse(answer);
  if (Array.isArray(output)) {
    assert.ok(Array.isArray(input) && input.length > 0, 'only a non-empty batch gets an array');
    assert.ok(output.length > 0 && output.length <= input.length);
    for (const item of output) responseShape.parse(item);
    return;
  }
  const response = responseShape.parse(output);
  if (!parsedInput) assert.equal('error' in response && response.error.code, -32700);
  const id: unknown = typeof input === 'object' && input !== null && 'id' in input ? input.id : undefined;
  if (!Array.isArray(input) && (typeof id === 'string' || typeof id === 'number'))
    assert.equal(response.id, id);
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
const request = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('1.0'), anyJson),
    method: fc.oneof(fc.constantFrom('echo', 'strict', 'fail', 'missing', ''), fc.string(), anyJson),
    params: fc.oneof(
      fc.record(
        { ID: fc.oneof(fc.string(), anyJson), Size: fc.oneof(fc.integer(), anyJson) },
        { requiredKeys: [] },
      ),
      fc.constant({ plain: true }),
      anyJson,
    ),
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), anyJson),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
  fc.json({ maxDepth: 3 }),
  request.map((r) => JSON.stringify(r)),
  fc.array(fc.oneof(request, anyJson), { maxLength: 6 }).map((batch) => JSON.stringify(batch)),
);

test(`dispatcher answers random input with well-formed JSON-RPC (seed ${SEED})`, async () => {
  const d = dispatcher();
  await fc.assert(
    fc.asyncProperty(body, async (text) => {
      checkAnswer(text, await d.handle(text));
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
