// Drives a real `tend up`'s `group` socket with the requests InfraKit v0.5's CLI sends for
// `manager inspect`, `manager commit` and `metadata ls -a` / `cat` (test/support/
// infrakit-cli-requests.ts says where each shape comes from) and checks each answer has the shape
// the CLI decodes. A wrong shape here is what made the CLI say "Cannot perform manager operations
// on a non-leader node".
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CATTLE_GROUP_JSON,
  INFRAKIT_CLI_HEADERS,
  infraKitRequest,
  MANAGER_COMMIT,
  MANAGER_INSPECT,
  METADATA_CAT,
  METADATA_LS,
} from '../support/infrakit-cli-requests.js';
import { e2eWorkspace, eventually, ManagerProcess } from '../support/manager.js';

type Workspace = Awaited<ReturnType<typeof e2eWorkspace>>;
let ws: Workspace;
let socketPath: string;

before(async () => {
  ws = await e2eWorkspace('infrakit-cli');
  const manager = await ManagerProcess.start({ name: 'm1', dir: ws.dir, stateDir: ws.stateDir });
  ws.managers.push(manager);
  socketPath = join(ws.dir, 'plugins-m1', 'group');
  await eventually('leadership', async () => ((await manager.isLeader()) ? true : undefined));
});
after(async () => ws.cleanup());

/** POSTs one body as Go's http.Client does and decodes the answer as gorilla's json2 client. */
function post(body: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/', headers: INFRAKIT_CLI_HEADERS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          assert.equal(res.statusCode, 200);
          assert.match(String(res.headers['content-type']), /^application\/json/);
          const answer = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
          assert.equal(answer.jsonrpc, '2.0');
          // json2.DecodeClientResponse: an error member is the call's error; a null result is too.
          assert.equal(answer.error, undefined, `${body} → ${JSON.stringify(answer.error)}`);
          const result = answer.result;
          assert.ok(typeof result === 'object' && result !== null, `${body}: no result object`);
          resolve(result as Record<string, unknown>);
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function assertHandshake(result: Record<string, unknown>, wanted: string): void {
  const apis = result.APIs as Array<{ Name: string; Version: string }>;
  assert.ok(
    apis.some((api) => `${api.Name}/${api.Version}` === wanted),
    `${wanted} not in ${JSON.stringify(apis)}`,
  );
}

test('manager commit: found as the leader, then Group.CommitGroup answers Details', async () => {
  const [handshake, isLeader, groupHandshake, commit] = MANAGER_COMMIT;
  assertHandshake(await post(handshake ?? ''), 'Manager/0.1.0');
  assert.deepEqual(await post(isLeader ?? ''), { Leader: true });
  assertHandshake(await post(groupHandshake ?? ''), 'Group/0.1.0');
  const committed = await post(commit ?? '');
  assert.deepEqual(Object.keys(committed), ['Details']);
  assert.match(String(committed.Details), /^cattle: created/);
});

test('manager inspect: Group.InspectGroups answers the committed group in InfraKit shape', async () => {
  const [handshake, isLeader, inspect] = MANAGER_INSPECT;
  assertHandshake(await post(handshake ?? ''), 'Manager/0.1.0');
  assert.deepEqual(await post(isLeader ?? ''), { Leader: true });
  const { Groups } = (await post(inspect ?? '')) as { Groups: Array<{ ID: string; Properties: unknown }> };
  const cattle = Groups.find((g) => g.ID === 'cattle');
  const sent = JSON.parse(CATTLE_GROUP_JSON) as { Properties: Record<string, unknown> };
  assert.ok(cattle, JSON.stringify(Groups));
  const properties = cattle.Properties as Record<string, unknown>;
  assert.deepEqual(properties.Allocation, sent.Properties.Allocation);
  assert.deepEqual(properties.Instance, sent.Properties.Instance);
  assert.deepEqual(properties.Flavor, sent.Properties.Flavor);
});

test('metadata ls -a and cat: the whole tree is walkable, leaves included', async () => {
  const [handshake, top] = METADATA_LS;
  assertHandshake(await post(handshake ?? ''), 'Metadata/0.1.0');
  assert.deepEqual(await post(top ?? ''), { Nodes: ['configs', 'groups', 'leader', 'specs'] });

  // listAll in cmd/infrakit/metadata: list a path, recurse into each child; a node with no
  // children is a leaf the CLI prints. The group's description appears once it is observed.
  const leaves: string[] = [];
  const walk = async (path: string[]): Promise<void> => {
    const { Nodes } = (await post(infraKitRequest('Metadata.List', JSON.stringify({ Path: path }), 1))) as {
      Nodes: string[] | null;
    };
    if (Nodes !== null) assert.ok(Array.isArray(Nodes) && Nodes.every((n) => typeof n === 'string'));
    if (Nodes === null || Nodes.length === 0) leaves.push(path.join('/'));
    for (const node of Nodes ?? []) await walk([...path, node]);
  };
  await eventually('the group described in metadata', async () => {
    const { Value } = await post(infraKitRequest('Metadata.Get', '{"Path":["groups","cattle","Observed"]}'));
    return Value === 2 ? true : undefined;
  });
  await walk([]);
  for (const leaf of [
    'leader',
    'configs/Groups/cattle/Plugin',
    'specs/cattle/ID',
    'specs/cattle/Properties/Allocation/Size',
    'groups/cattle/Converged',
    'groups/cattle/Instances/[1]/ID',
    'groups/cattle/Desired',
  ]) {
    assert.ok(leaves.includes(leaf), `${leaf} not among ${leaves.length} leaves: ${leaves.join(', ')}`);
  }

  const [catHandshake, cat] = METADATA_CAT;
  assertHandshake(await post(catHandshake ?? ''), 'Metadata/0.1.0');
  const { Value } = (await post(cat ?? '')) as { Value: { ID: string; Properties: unknown } };
  assert.equal(Value.ID, 'cattle');
  // InfraKit's paths name a list element `[0]` or `Instances[0]`.
  const first = await post(
    infraKitRequest('Metadata.Get', '{"Path":["groups","cattle","Instances","[0]","ID"]}'),
  );
  const same = await post(
    infraKitRequest('Metadata.Get', '{"Path":["groups","cattle","Instances[0]","ID"]}'),
  );
  assert.equal(typeof first.Value, 'string');
  assert.equal(same.Value, first.Value);
});
