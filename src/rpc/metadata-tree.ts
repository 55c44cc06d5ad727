import type { JsonValue, MetadataPath, MetadataPlugin } from '../spi/index.js';

/**
 * A node of a metadata tree whose parts are read only when a path reaches them: a value (any
 * JSON, browsed further by path), or a branch whose children are named before any is read — so
 * `ls groups` names the groups without describing each.
 */
export type MetadataNode =
  | { readonly value: () => Promise<JsonValue | undefined> }
  | { readonly children: () => Promise<Readonly<Record<string, MetadataNode>>> };

/** A MetadataPlugin over a tree, with InfraKit's path rules (see {@link cleanMetadataPath}). */
export function metadataFromTree(root: MetadataNode): MetadataPlugin {
  return {
    list: async (path) => {
      const found = await reach(root, cleanMetadataPath(path));
      if (found === undefined) return undefined;
      if ('node' in found) return Object.keys(await found.node.children()).sort();
      return childNames(found.json);
    },
    get: async (path) => {
      const found = await reach(root, cleanMetadataPath(path));
      if (found === undefined) return undefined;
      return 'node' in found ? materialize(found.node) : found.json;
    },
  };
}

/**
 * InfraKit's path rules: `""` and `"."` segments are dropped, `name[2]` is `name` then `[2]`,
 * and `[i]` indexes a list (negative from the end, as InfraKit's `types.Get` does).
 */
export function cleanMetadataPath(path: MetadataPath): string[] {
  const clean: string[] = [];
  for (const segment of path) {
    if (segment === '' || segment === '.') continue;
    const indexed = /^(.+)(\[-?\d+\])$/.exec(segment);
    if (indexed?.[1] !== undefined && indexed[2] !== undefined) clean.push(indexed[1], indexed[2]);
    else clean.push(segment);
  }
  return clean;
}

/** The value at `path` inside a JSON value; undefined when there is none. */
export function jsonAt(json: JsonValue | undefined, path: readonly string[]): JsonValue | undefined {
  let at = json;
  for (const segment of path) {
    if (at === undefined || at === null || typeof at !== 'object') return undefined;
    if (Array.isArray(at)) {
      const index = /^\[(-?\d+)\]$/.exec(segment)?.[1];
      if (index === undefined) return undefined;
      const i = Number(index) < 0 ? at.length + Number(index) : Number(index);
      at = at[i];
    } else {
      at = Object.hasOwn(at, segment) ? at[segment] : undefined;
    }
  }
  return at;
}

/** InfraKit lists a list's elements as `[0]`, `[1]`…, an object's keys sorted, a scalar as nothing. */
function childNames(json: JsonValue | undefined): string[] | undefined {
  if (json === undefined || json === null) return undefined;
  if (Array.isArray(json)) return json.map((_, i) => `[${i}]`);
  if (typeof json === 'object') return Object.keys(json).sort();
  return [];
}

type Reached = { node: Extract<MetadataNode, { children: unknown }> } | { json: JsonValue | undefined };

async function reach(root: MetadataNode, path: readonly string[]): Promise<Reached | undefined> {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    if ('value' in node) return { json: jsonAt(await node.value(), path.slice(i)) };
    const children = await node.children();
    const name = path[i] ?? '';
    const child = Object.hasOwn(children, name) ? children[name] : undefined;
    if (child === undefined) return undefined;
    node = child;
  }
  return 'value' in node ? { json: await node.value() } : { node };
}

async function materialize(node: MetadataNode): Promise<JsonValue | undefined> {
  if ('value' in node) return node.value();
  const out: Record<string, JsonValue> = {};
  for (const [name, child] of Object.entries(await node.children())) {
    const value = await materialize(child);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
