import { createHash } from 'node:crypto';
import { cleanMetadataPath } from '../rpc/index.js';
import {
  type GroupPlugin,
  type JsonObject,
  type JsonValue,
  type MetadataChange,
  type MetadataPlugin,
  TendError,
  type UpdatablePlugin,
} from '../spi/index.js';
import { configDocument, type MetadataSourceManager } from './group-socket-metadata.js';

/**
 * The `group` socket's `Updatable/0.1.0`, as InfraKit v0.5's manager served it for
 * `infrakit manager change -v Groups/<ID>/Properties/Properties/Allocation/Size=3 -c`: reads are
 * the socket's metadata tree; `Changes` puts each value at its path in the manager's document
 * (`configs`: `{"Groups": {<ID>: {"Plugin", "Properties": <group>}}}`) and proposes the result;
 * `Commit` commits each group of the proposal through `Group.CommitGroup` (so it is validated,
 * audited and journalled like any commit) once its hash still matches the current document.
 * A group left out of a proposal is not destroyed, as in InfraKit.
 */
export function groupSocketUpdatable(
  manager: Pick<MetadataSourceManager, 'specs'>,
  socketName: string,
  metadata: MetadataPlugin,
  group: Pick<GroupPlugin, 'commitGroup'>,
): UpdatablePlugin {
  return {
    list: (path) => metadata.list(path),
    get: (path) => metadata.get(path),
    changes: async (changes) => {
      const original = await configDocument(manager, socketName);
      const proposed = applyChanges(original, changes);
      return { original, proposed, cas: fingerprint(original, proposed) };
    },
    commit: async (proposed, cas) => {
      const current = await configDocument(manager, socketName);
      if (fingerprint(current, proposed) !== cas) {
        throw new TendError('conflict', 'cas mismatch: the configuration changed since the proposal');
      }
      for (const spec of groupsOf(proposed)) await group.commitGroup(spec, false);
    },
  };
}

/** InfraKit's `types.Put` of each change into the document; a later change to a path wins. */
export function applyChanges(document: JsonObject, changes: readonly MetadataChange[]): JsonObject {
  const out = structuredClone(document);
  for (const change of changes) {
    const path = cleanMetadataPath(change.path);
    const last = path.at(-1);
    if (last === undefined) throw new TendError('invalid_spec', 'a change needs a path');
    let at: JsonObject = out;
    for (const segment of path.slice(0, -1)) {
      const next = at[segment];
      if (next === undefined || next === null) at[segment] = {};
      else if (typeof next !== 'object' || Array.isArray(next)) {
        throw new TendError(
          'invalid_spec',
          `can't apply change ${path.join('/')}: ${segment} is not an object`,
        );
      }
      at = at[segment] as JsonObject;
    }
    at[last] = change.value;
  }
  return out;
}

/** Names a (current, proposed) pair; the client hands it back unchanged with the commit. */
function fingerprint(original: JsonValue, proposed: JsonValue): string {
  return createHash('sha256')
    .update(JSON.stringify([original, proposed]))
    .digest('hex')
    .slice(0, 32);
}

function groupsOf(proposed: JsonValue): Array<{ id: string; properties: JsonValue }> {
  const groups = isObject(proposed) ? proposed.Groups : undefined;
  if (!isObject(groups)) throw new TendError('invalid_spec', 'the proposal has no Groups object');
  return Object.entries(groups).map(([id, entry]) => {
    const spec = isObject(entry) ? entry.Properties : undefined;
    if (!isObject(spec)) throw new TendError('invalid_spec', `Groups/${id}/Properties is not a group spec`);
    return { id: typeof spec.ID === 'string' ? spec.ID : id, properties: spec.Properties ?? null };
  });
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
