// Drives a real `tend up`'s `group` socket with the requests InfraKit v0.5's CLI sends for
// `manager inspect`, `manager commit`, `manager change`, `metadata ls -al` / `cat` and
// `group describe` (captured from its binary; test/support/infrakit-cli-requests.ts), and
// InfraKit HEAD's Group/0.1.1 calls, and checks each answer has the shape the CLI decodes and
// the id it was sent. A wrong shape here is what made the CLI say "Cannot perform manager
// operations on a non-leader node", and a list-typed `Path` what made `metadata ls` show nothing.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CATTLE_GROUP_JSON,
  GROUP_DESCRIBE,
  INFRAKIT_CLI_HEADERS,
  infraKitRequest,
  MANAGER_CHANGE,
  MANAGER_COMMIT,
  MANAGER_INSPECT,
  METADATA_CAT,
  METADATA_LS,
  managerChangeCommit,
  requestId,
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

/**
 * POSTs one body as Go's http.Client does and decodes the answer as gorilla's json2 client; the
 * answer must carry the request's id digit for digit (Go's ids exceed 2^53).
 */
function post(body: string): Promise<Record<string, unknown>> {
  return postRaw(body).then(({ result }) => result);
}

function postRaw(body: string): Promise<{ result: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/', headers: INFRAKIT_CLI_HEADERS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          assert.equal(res.statusCode, 200);
          assert.match(String(res.headers['content-type']), /^application\/json/);
          const text = Buffer.concat(chunks).toString();
          const answer = JSON.parse(text) as Record<string, unknown>;
          assert.equal(answer.jsonrpc, '2.0');
          assert.ok(text.includes(`"id":${requestId(body)}`), `${text} does not echo the id of ${body}`);
          // json2.DecodeClientResponse: an error member is the call's error; a null result is too.
          assert.equal(answer.error, undefined, `${body} → ${JSON.stringify(answer.error)}`);
          const result = answer.result;
          assert.ok(typeof result === 'object' && result !== null, `${body}: no result object`);
          resolve({ result: result as Record<string, unknown>, text });
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

/** The plugin listing every CLI command starts with: both handshakes name `wanted`. */
async function listPlugins(implementsBody: string, typesBody: string, wanted: string): Promise<void> {
  assertHandshake(await post(implementsBody), wanted);
  const { Types } = (await post(typesBody)) as { Types: Record<string, string[]> };
  assert.deepEqual(Types[wanted], ['.']);
}

/** A body of the walk `metadata ls -al` does: `Path` as InfraKit's one string. */
function listBody(path: string[]): string {
  return infraKitRequest(
    'Metadata.List',
    JSON.stringify({ Path: path.length === 0 ? '.' : path.join('/') }),
    4,
  );
}

test('manager commit: found as the leader, then Group.CommitGroup answers Details', async () => {
  const [list, types, handshake, isLeader, groupHandshake, commit] = MANAGER_COMMIT;
  await listPlugins(list ?? '', types ?? '', 'Manager/0.1.0');
  assertHandshake(await post(handshake ?? ''), 'Manager/0.1.0');
  assert.deepEqual(await post(isLeader ?? ''), { Leader: true });
  assertHandshake(await post(groupHandshake ?? ''), 'Group/0.1.0');
  const committed = await post(commit ?? '');
  assert.deepEqual(Object.keys(committed), ['Details']);
  assert.match(String(committed.Details), /^cattle: created/);
});

test('manager inspect: Group.InspectGroups answers the committed group in InfraKit shape', async () => {
  const [list, types, handshake, isLeader, inspect] = MANAGER_INSPECT;
  await listPlugins(list ?? '', types ?? '', 'Manager/0.1.0');
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

test('group describe: Group.DescribeGroup answers the instances', async () => {
  const [list, types, handshake, describe] = GROUP_DESCRIBE;
  await listPlugins(list ?? '', types ?? '', 'Group/0.1.0');
  assertHandshake(await post(handshake ?? ''), 'Group/0.1.0');
  await eventually('two instances described', async () => {
    const { Description } = (await post(describe ?? '')) as { Description: { Instances: unknown[] | null } };
    return Description.Instances?.length === 2 ? true : undefined;
  });
});

test('metadata ls -al and cat: the whole tree is walkable by string paths, leaves included', async () => {
  const [list, types, handshake, handshake2, top] = METADATA_LS;
  await listPlugins(list ?? '', types ?? '', 'Metadata/0.1.0');
  assertHandshake(await post(handshake ?? ''), 'Metadata/0.1.0');
  assertHandshake(await post(handshake2 ?? ''), 'Metadata/0.1.0');
  assert.deepEqual(await post(top ?? ''), { Nodes: ['configs', 'groups', 'leader', 'specs'] });

  // listAll in cmd/infrakit/metadata: list a path, recurse into each child; a node with no
  // children is a leaf the CLI prints. The group's description appears once it is observed.
  const leaves: string[] = [];
  const walk = async (path: string[]): Promise<void> => {
    const { Nodes } = (await post(listBody(path))) as { Nodes: string[] | null };
    if (Nodes !== null) assert.ok(Array.isArray(Nodes) && Nodes.every((n) => typeof n === 'string'));
    if (Nodes === null || Nodes.length === 0) leaves.push(path.join('/'));
    for (const node of Nodes ?? []) await walk([...path, node]);
  };
  await eventually('the group described in metadata', async () => {
    const { Value } = await post(infraKitRequest('Metadata.Get', '{"Path":"groups/cattle/Observed"}'));
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

  const [catList, catTypes, catHandshake, cat] = METADATA_CAT;
  await listPlugins(catList ?? '', catTypes ?? '', 'Metadata/0.1.0');
  assertHandshake(await post(catHandshake ?? ''), 'Metadata/0.1.0');
  const { Value } = (await post(cat ?? '')) as { Value: { ID: string; Properties: unknown } };
  assert.equal(Value.ID, 'cattle');
  // InfraKit's paths name a list element `[0]` or `Instances[0]`.
  const first = await post(infraKitRequest('Metadata.Get', '{"Path":"groups/cattle/Instances/[0]/ID"}'));
  const same = await post(infraKitRequest('Metadata.Get', '{"Path":"groups/cattle/Instances[0]/ID"}'));
  assert.equal(typeof first.Value, 'string');
  assert.equal(same.Value, first.Value);
});

test('manager change -c: Updatable proposes the edited document, and its commit scales the group', async () => {
  const [list, types, handshake, isLeader, changes] = MANAGER_CHANGE;
  await listPlugins(list ?? '', types ?? '', 'Updatable/0.1.0');
  assertHandshake(await post(handshake ?? ''), 'Manager/0.1.0');
  assert.deepEqual(await post(isLeader ?? ''), { Leader: true });
  const proposal = (await post(changes ?? '')) as { Original: unknown; Proposed: unknown; Cas: string };
  const size = (doc: unknown) =>
    (doc as { Groups: { cattle: { Properties: { Properties: { Allocation: { Size: number } } } } } }).Groups
      .cattle.Properties.Properties.Allocation.Size;
  assert.equal(size(proposal.Original), 2);
  assert.equal(size(proposal.Proposed), 3);
  assert.match(proposal.Cas, /^[0-9a-f]+$/);
  // `change ls` / `cat` read through Updatable.List / Get, with string paths.
  assert.deepEqual(await post(infraKitRequest('Updatable.Get', '{"Path":"configs/Groups/cattle/Plugin"}')), {
    Value: 'group',
  });
  // A stale hash is refused; the one given is taken.
  const stale = await postRaw(managerChangeCommit(JSON.stringify(proposal.Proposed), 'ffff')).catch(
    (error: unknown) => error,
  );
  assert.match(String(stale), /cas mismatch/);
  assert.deepEqual(await post(managerChangeCommit(JSON.stringify(proposal.Proposed), proposal.Cas)), {});
  const { Groups } = (await post(MANAGER_INSPECT[4] ?? '')) as {
    Groups: Array<{ ID: string; Properties: { Allocation: { Size: number } } }>;
  };
  assert.equal(Groups.find((g) => g.ID === 'cattle')?.Properties.Allocation.Size, 3);
  // Back to two for the tests that count instances.
  await post(infraKitRequest('Group.SetSize', '{"ID":"cattle","Size":2}', 1));
});

test('Group/0.1.1 (InfraKit HEAD): Handshake.Hello, Name echoed, a Name naming no group refused', async () => {
  const { Objects } = (await post(infraKitRequest('Handshake.Hello', '{}', 0))) as {
    Objects: Record<string, Array<{ Name: string; ProxyFor: string }>>;
  };
  assert.deepEqual(Objects['Group/0.1.1'], [{ Name: '.', ProxyFor: '' }]);
  assert.deepEqual(Objects['Group/0.1.0'], [{ Name: '.', ProxyFor: '' }]);
  assert.deepEqual(await post(infraKitRequest('Group.Size', '{"Name":"group/cattle","ID":"cattle"}', 1)), {
    Name: 'group/cattle',
    ID: 'cattle',
    Size: 2,
  });
  const described = await post(infraKitRequest('Group.DescribeGroup', '{"Name":"group","ID":"cattle"}', 2));
  assert.deepEqual(Object.keys(described), ['Name', 'ID', 'Description']);
  const inspected = await post(infraKitRequest('Group.InspectGroups', '{"Name":"group","ID":""}', 3));
  assert.deepEqual(Object.keys(inspected), ['Name', 'ID', 'Groups']);
  const refused = await post(infraKitRequest('Group.Size', '{"Name":"group/nope","ID":"cattle"}', 4)).catch(
    (error: unknown) => error,
  );
  assert.match(String(refused), /not found: group\/nope \(key=nope\)/);
});
