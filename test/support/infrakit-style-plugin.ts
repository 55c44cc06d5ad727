// An instance plugin that answers the way InfraKit v0.5's plugins do (gorilla/rpc json2, from
// InfraKit's source): it knows nothing of `tend.op` (a retried provision makes another
// instance, like instance-file), its own failures are -32000 with `data: null`, an unknown
// method is -32000 "rpc: can't find method …", params that do not decode are -32600 with the
// params in `data`. Test code only; InfraKit's own code is not in this repository.
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

interface Stored {
  ID: string;
  LogicalID: string | null;
  Tags: Record<string, string>;
}

type Params = Record<string, unknown>;

class PluginFailure extends Error {}

export interface InfraKitStylePlugin {
  socketPath: string;
  /** Every instance ever provisioned (destroyed ones too), in order. */
  provisioned: Stored[];
  instances: Map<string, Stored>;
  close(): Promise<void>;
}

/**
 * `options.tcp`: listen on TCP (127.0.0.1, a free port) and advertise it in `<name>.listen` as
 * `tcp://127.0.0.1:PORT`, as InfraKit v0.5's `RunListener` does; otherwise a unix socket `name`.
 */
export async function startInfraKitStylePlugin(
  dir: string,
  name: string,
  options: { tcp?: boolean } = {},
): Promise<InfraKitStylePlugin> {
  const instances = new Map<string, Stored>();
  const provisioned: Stored[] = [];
  let next = 0;
  const methods: Record<string, (params: Params) => unknown> = {
    'Handshake.Implements': () => ({ APIs: [{ Name: 'Instance', Version: '0.5.0' }] }),
    'Instance.Validate': (p) => {
      if (typeof p.Properties !== 'object')
        throw new PluginFailure('json: cannot unmarshal string into Go value');
      return { OK: true };
    },
    'Instance.Provision': (p) => {
      const spec = p.Spec;
      if (typeof spec !== 'object' || spec === null) throw new TypeError('bad params');
      const s = spec as Params;
      const stored: Stored = {
        ID: `instance-${++next}`,
        LogicalID: typeof s.LogicalID === 'string' ? s.LogicalID : null,
        Tags: { ...((s.Tags as Record<string, string> | null) ?? {}) },
      };
      instances.set(stored.ID, stored);
      provisioned.push(stored);
      return { ID: stored.ID };
    },
    'Instance.Label': (p) => {
      const found = instances.get(String(p.Instance));
      if (found === undefined)
        throw new PluginFailure(`open ${dir}/${String(p.Instance)}: no such file or directory`);
      Object.assign(found.Tags, p.Labels as Record<string, string>);
      return { OK: true };
    },
    'Instance.Destroy': (p) => {
      if (!instances.delete(String(p.Instance)))
        throw new PluginFailure(`remove ${dir}/${String(p.Instance)}: no such file or directory`);
      return { OK: true };
    },
    'Instance.DescribeInstances': (p) => {
      const want = (p.Tags as Record<string, string> | null) ?? {};
      const matching = [...instances.values()].filter((i) =>
        Object.entries(want).every(([k, v]) => i.Tags[k] === v),
      );
      return { Descriptions: matching.map((i) => ({ ID: i.ID, LogicalID: i.LogicalID, Tags: i.Tags })) };
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = JSON.parse(Buffer.concat(chunks).toString()) as {
        id: unknown;
        method: string;
        params: unknown;
      };
      const [params] = Array.isArray(request.params) ? request.params : [request.params];
      const answer = (body: Params) => {
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: request.id, ...body }));
      };
      const method = methods[request.method];
      if (method === undefined) {
        answer({
          error: { code: -32000, message: `rpc: can't find method "${request.method}"`, data: null },
        });
        return;
      }
      try {
        answer({ result: method((params ?? {}) as Params) });
      } catch (error) {
        if (error instanceof PluginFailure)
          answer({ error: { code: -32000, message: error.message, data: null } });
        else answer({ error: { code: -32600, message: 'json: cannot unmarshal params', data: params } });
      }
    });
  });
  const socketPath = join(dir, options.tcp === true ? `${name}.listen` : name);
  if (options.tcp === true) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await writeFile(socketPath, `tcp://127.0.0.1:${port}`);
  } else await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    provisioned,
    instances,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.tcp === true) await rm(socketPath, { force: true });
    },
  };
}
