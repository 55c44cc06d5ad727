// A remote instance plugin that turns hostile on demand, for the fault campaign. It runs as its own
// process and speaks the real plugin protocol (JSON-RPC over HTTP on unix sockets) in front of a
// real `process` plugin, so the instances it reports are real processes. The campaign writes a mode
// into `--mode-file`; every request reads it:
//   honest  — answers exactly what the process plugin answers;
//   hang    — never answers (the connection stays open until the caller gives up);
//   lie     — DescribeInstances claims two instances that do not exist and omits one that does;
//   garbage — answers bytes that are not JSON-RPC (alternating with a well-formed wrong shape);
//   huge    — DescribeInstances answers about 24 MB.
// Usage: hostile-plugin.ts --state-dir DIR --mode-file FILE --socket PATH [--socket PATH ...]
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { createProcessPlugin } from '../../src/plugins/instance/process/index.js';
import {
  HANDSHAKE_METHOD,
  implementsResult,
  JsonRpcDispatcher,
  removeStaleSocket,
} from '../../src/rpc/index.js';
import { registerInstanceMethods } from '../../src/rpc/serve-methods.js';

export const hostileModes = ['honest', 'hang', 'lie', 'garbage', 'huge'] as const;
export type HostileMode = (typeof hostileModes)[number];

const { values } = parseArgs({
  options: {
    'state-dir': { type: 'string' },
    'mode-file': { type: 'string' },
    socket: { type: 'string', multiple: true },
  },
});
const stateDir = values['state-dir'];
const modeFile = values['mode-file'];
const sockets = values.socket ?? [];
if (stateDir === undefined || modeFile === undefined || sockets.length === 0) {
  process.stderr.write('usage: hostile-plugin.ts --state-dir DIR --mode-file FILE --socket PATH...\n');
  process.exit(2);
}

const plugin = createProcessPlugin({ stateDir, killGraceMs: 1000 });
const dispatcher = new JsonRpcDispatcher();
registerInstanceMethods(dispatcher, () => plugin);
dispatcher.register(HANDSHAKE_METHOD, async () => implementsResult(['Instance']));

function mode(): HostileMode {
  try {
    const text = readFileSync(modeFile as string, 'utf8').trim();
    return (hostileModes as readonly string[]).includes(text) ? (text as HostileMode) : 'honest';
  } catch {
    return 'honest';
  }
}

// Built once: a giant tag value makes a giant but well-formed answer.
let hugeTag: string | undefined;
let garbageTurn = 0;

function fakeId(): string {
  return `proc-${randomBytes(8).toString('hex')}`;
}

interface WireDescription {
  ID: string;
  Tags?: Record<string, string> | null;
  [key: string]: unknown;
}

/** Rewrites an honest DescribeInstances answer according to `current`. */
function distort(answer: string, current: HostileMode): string {
  const parsed = JSON.parse(answer) as { result?: { Descriptions?: WireDescription[] } };
  const descriptions = parsed.result?.Descriptions;
  if (descriptions === undefined) return answer;
  const template = descriptions[0];
  if (current === 'lie') {
    const kept = descriptions.slice(1);
    if (template !== undefined) {
      for (let i = 0; i < 2; i++) kept.push({ ...template, ID: fakeId() });
    }
    parsed.result = { ...parsed.result, Descriptions: kept };
  } else if (current === 'huge' && template !== undefined) {
    hugeTag ??= 'x'.repeat(24 * 1024 * 1024);
    descriptions[0] = { ...template, Tags: { ...(template.Tags ?? {}), padding: hugeTag } };
  }
  return JSON.stringify(parsed);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const current = mode();
  const isHandshake = body.includes(HANDSHAKE_METHOD);
  if (current === 'hang' && !isHandshake) return; // never answered
  if (current === 'garbage' && !isHandshake) {
    garbageTurn += 1;
    const text =
      garbageTurn % 2 === 0
        ? `{"jsonrpc":"2.0","id":${randomBytes(4).toString('hex')}\u0000\u0001`
        : '{"jsonrpc":"2.0","id":1,"result":{"Descriptions":"not a list","ID":42}}';
    res.writeHead(200, { 'content-type': 'application/json' }).end(text);
    return;
  }
  let answer = (await dispatcher.handle(body)) ?? '';
  if ((current === 'lie' || current === 'huge') && body.includes('Instance.DescribeInstances')) {
    answer = distort(answer, current);
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
}

for (const socket of sockets) {
  await removeStaleSocket(socket);
  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
}
process.stdout.write(`hostile plugin listening on ${sockets.join(', ')}\n`);
process.on('SIGTERM', () => {
  plugin.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
