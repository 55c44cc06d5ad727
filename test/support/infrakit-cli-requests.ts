// The JSON-RPC requests InfraKit's CLI sends to a manager's `group` socket, byte for byte.
//
// v0.5 (the sequences below): captured on 2026-12-07 from InfraKit v0.5's own `infrakit` binary
// (docker/infrakit at tag v0.5, built by hand outside this repository) through a logging proxy in
// front of a `tend up` group socket, for `manager inspect`, `manager commit FILE`,
// `manager change -v PATH=VALUE -c`, `metadata ls -al`, `metadata cat group/specs/cattle` and
// `group describe cattle`. What the capture showed, and the source agrees:
// - the envelope is gorilla/rpc json2's `{"jsonrpc":"2.0","method","params","id"}`, POSTed to
//   `http://h/` with the headers below; the id is `rand.Int63()` from a seeded generator, so it
//   changes every run and is mostly above 2^53 (the ids here are ones the capture saw).
// - the CLI lists the plugin directory first (`Handshake.Implements`, then `Handshake.Types`),
//   then each `client.New` shakes hands again (`Handshake.Implements`) before its calls.
// - a metadata path is InfraKit's `types.Path`, which marshals as ONE string: `"specs/cattle"`,
//   `"."` for the top (pkg/types/path.go `MarshalJSON`), not a list.
// - `manager change` sends `Updatable.Changes` with `{"Changes":[{"Path","Value"}]}`, prints the
//   diff, and on `y` sends `Updatable.Commit` with the `Proposed` document and `Cas` it was given.
//
// Group/0.1.1 (InfraKit HEAD, docker/infrakit master): not captured — HEAD is not built here; the
// shapes are from its pkg/rpc/group/types.go (`Name` in every request) and pkg/rpc/handshake.go
// (`Handshake.Hello`).

/** Go's http.Client headers on these calls (Host `h` is what pkg/rpc/client sets for a socket). */
export const INFRAKIT_CLI_HEADERS = {
  Host: 'h',
  'User-Agent': 'Go-http-client/1.1',
  'Content-Type': 'application/json',
  'Accept-Encoding': 'gzip',
} as const;

/** Ids the capture saw; all exceed 2^53, so an answer that rounds them is caught. */
export const IDS = [
  '8807165085846269164',
  '1666918337124946479',
  '3201558755320115841',
  '1749846688878776290',
  '6106090367958688853',
  '7489963780204748747',
] as const;

/** One request body as Go's json.Marshal writes it (field order, no spaces). */
export function infraKitRequest(method: string, paramsJson: string, n = 0): string {
  return `{"jsonrpc":"2.0","method":"${method}","params":${paramsJson},"id":${IDS[n % IDS.length]}}`;
}

/** The id a request body carries, as its digits. */
export function requestId(body: string): string {
  return /"id":(\d+)\}$/.exec(body)?.[1] ?? '';
}

/** The group a user commits: InfraKit's group spec, as `manager commit` reads it from a file. */
export const CATTLE_GROUP_JSON =
  '{"ID":"cattle","Properties":{"Allocation":{"Size":2},"Instance":{"Plugin":"process","Properties":{}},' +
  '"Flavor":{"Plugin":"vanilla","Properties":{"init":["while true; do sleep 5; done"]}}}}';

const LIST_PLUGINS = [
  infraKitRequest('Handshake.Implements', '{}', 0),
  infraKitRequest('Handshake.Types', '{}', 1),
];

export const MANAGER_INSPECT = [
  ...LIST_PLUGINS,
  infraKitRequest('Handshake.Implements', '{}', 2),
  infraKitRequest('Manager.IsLeader', '{}', 3),
  infraKitRequest('Group.InspectGroups', '{}', 4),
];

export const MANAGER_COMMIT = [
  ...LIST_PLUGINS,
  infraKitRequest('Handshake.Implements', '{}', 2),
  infraKitRequest('Manager.IsLeader', '{}', 3),
  infraKitRequest('Handshake.Implements', '{}', 4),
  infraKitRequest('Group.CommitGroup', `{"Spec":${CATTLE_GROUP_JSON},"Pretend":false}`, 5),
];

/** `metadata ls -al`: the top list; the CLI then lists every child path in turn (`"specs"`, …). */
export const METADATA_LS = [
  ...LIST_PLUGINS,
  infraKitRequest('Handshake.Implements', '{}', 2),
  infraKitRequest('Handshake.Implements', '{}', 3),
  infraKitRequest('Metadata.List', '{"Path":"."}', 4),
];

/** `metadata cat group/specs/cattle`. */
export const METADATA_CAT = [
  ...LIST_PLUGINS,
  infraKitRequest('Handshake.Implements', '{}', 2),
  infraKitRequest('Metadata.Get', '{"Path":"specs/cattle"}', 3),
];

/** `manager change -v Groups/cattle/Properties/Properties/Allocation/Size=3 -c`, up to the commit. */
export const MANAGER_CHANGE = [
  ...LIST_PLUGINS,
  infraKitRequest('Handshake.Implements', '{}', 2),
  infraKitRequest('Manager.IsLeader', '{}', 3),
  infraKitRequest(
    'Updatable.Changes',
    '{"Changes":[{"Path":"Groups/cattle/Properties/Properties/Allocation/Size","Value":3}]}',
    4,
  ),
];

/** The commit `manager change -c` sends after `y`: the proposal and hash it was answered. */
export function managerChangeCommit(proposedJson: string, cas: string): string {
  return infraKitRequest('Updatable.Commit', `{"Proposed":${proposedJson},"Cas":${JSON.stringify(cas)}}`, 5);
}

/** `group describe cattle`. */
export const GROUP_DESCRIBE = [
  ...LIST_PLUGINS,
  infraKitRequest('Handshake.Implements', '{}', 2),
  infraKitRequest('Group.DescribeGroup', '{"ID":"cattle"}', 3),
];
