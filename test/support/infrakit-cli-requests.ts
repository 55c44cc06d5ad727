// The JSON-RPC requests InfraKit v0.5's CLI sends to a manager's socket, byte for byte, for
// `infrakit manager inspect`, `infrakit manager commit FILE` and `infrakit metadata ls` / `cat`.
// Where the shapes come from (docker/infrakit at tag v0.5):
// - the envelope: vendor/github.com/gorilla/rpc/v2/json2/client.go `EncodeClientRequest` —
//   `{"jsonrpc":"2.0","method":…,"params":<request struct>,"id":uint64(rand.Int63())}`, POSTed
//   to `http://h/` with `Content-Type: application/json` (pkg/rpc/client/client.go). The ids below
//   are what Go's default-seeded math/rand gives first; they exceed 2^53.
// - every `client.New(address, spi)` first sends `Handshake.Implements` with `{}` and keeps the
//   socket only if the answer lists that spi's Name and Version (pkg/rpc/client/handshake.go).
// - `manager …`: cmd/infrakit/manager/manager.go. Every plugin is asked for `Manager/0.1.0` and
//   `Manager.IsLeader` (`IsLeaderRequest{}` → `{}`); only a socket answering `{"Leader":true}` is
//   used. `inspect` then calls `Group.InspectGroups` (`{}`); `commit` looks the group's plugin up
//   again, shakes hands for `Group/0.1.0` and calls `Group.CommitGroup` with
//   `CommitGroupRequest{Spec, Pretend}` (pkg/rpc/group/types.go).
// - `metadata …`: cmd/infrakit/metadata/metadata.go. Every plugin is asked for `Metadata/0.1.0`;
//   `ls -a group` lists `Path` = the path after the plugin's name (`[]` at the top), then each
//   child's path in turn; `cat group/specs/cattle` gets `["specs","cattle"]`
//   (pkg/rpc/metadata/types.go `ListRequest{Path}`, `GetRequest{Path}`; a path is `[]string`).

/** Go's http.Client headers on these calls (Host `h` is what pkg/rpc/client sets for a socket). */
export const INFRAKIT_CLI_HEADERS = {
  Host: 'h',
  'User-Agent': 'Go-http-client/1.1',
  'Content-Type': 'application/json',
  'Accept-Encoding': 'gzip',
} as const;

const IDS = ['5577006791947779410', '8674665223082153551', '6129484611666145821', '4037200794235010051'];

/** One request body as Go's json.Marshal writes it (field order, no spaces). */
export function infraKitRequest(method: string, paramsJson: string, n = 0): string {
  return `{"jsonrpc":"2.0","method":"${method}","params":${paramsJson},"id":${IDS[n % IDS.length]}}`;
}

/** The group a user commits: InfraKit's group spec, as `manager commit` reads it from a file. */
export const CATTLE_GROUP_JSON =
  '{"ID":"cattle","Properties":{"Allocation":{"Size":2},"Instance":{"Plugin":"process","Properties":{}},' +
  '"Flavor":{"Plugin":"vanilla","Properties":{"init":["while true; do sleep 5; done"]}}}}';

export const MANAGER_INSPECT = [
  infraKitRequest('Handshake.Implements', '{}', 0),
  infraKitRequest('Manager.IsLeader', '{}', 1),
  infraKitRequest('Group.InspectGroups', '{}', 2),
];

export const MANAGER_COMMIT = [
  infraKitRequest('Handshake.Implements', '{}', 0),
  infraKitRequest('Manager.IsLeader', '{}', 1),
  infraKitRequest('Handshake.Implements', '{}', 2),
  infraKitRequest('Group.CommitGroup', `{"Spec":${CATTLE_GROUP_JSON},"Pretend":false}`, 3),
];

/** `metadata ls -a group`: the handshake, then the top list; the CLI then lists every child. */
export const METADATA_LS = [
  infraKitRequest('Handshake.Implements', '{}', 0),
  infraKitRequest('Metadata.List', '{"Path":[]}', 1),
];

/** `metadata cat group/specs/cattle`. */
export const METADATA_CAT = [
  infraKitRequest('Handshake.Implements', '{}', 0),
  infraKitRequest('Metadata.Get', '{"Path":["specs","cattle"]}', 1),
];
