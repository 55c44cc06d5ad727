import { configHash, parseGroupObject, parseSpecDocument, specToDocument } from '../group/index.js';
import {
  type CallOptions,
  type GroupSpec,
  type JsonValue,
  type PluginResolver,
  type SpecRevision,
  TendError,
} from '../spi/index.js';

/** A spec ready to commit: resolved for the controller, plus the form stored in history. */
export interface CheckedSpec {
  spec: GroupSpec;
  document: JsonValue;
  config: string;
}

export interface SpecCheckOptions extends CallOptions {
  resolver: PluginResolver;
  /** Where the document came from, for error messages (`apply -f workers.yaml`). */
  source?: string;
  /** Refuses groups above this size (or count of logical IDs). */
  maxGroupSize?: number;
}

/**
 * Parses a user's document and asks each group's plugins to validate their properties. Fails with
 * `invalid_spec` naming the group and plugin, before anything is committed.
 */
export async function checkDocument(text: string, options: SpecCheckOptions): Promise<CheckedSpec[]> {
  const specs = parseSpecDocument(text, {
    ...(options.source === undefined ? {} : { source: options.source }),
    ...(options.maxGroupSize === undefined ? {} : { maxGroupSize: options.maxGroupSize }),
  });
  const checked: CheckedSpec[] = [];
  for (const spec of specs) {
    await validateWithPlugins(spec, options);
    checked.push(checkedSpec(spec));
  }
  return checked;
}

export function checkedSpec(spec: GroupSpec): CheckedSpec {
  return { spec, document: specToDocument(spec), config: configHash(spec) };
}

/** Past this many, the oldest parsed revision is dropped (one per group is what a fleet needs). */
const PARSED_REVISIONS_KEPT = 4096;
const parsedRevisions = new Map<string, GroupSpec>();

/**
 * Rebuilds the resolved spec from a stored revision: the stored object is parsed as it is (no
 * YAML round trip), and once per stored content (the key: two stores may hold different specs
 * under the same group and revision): a standby's status rebuilds every group's spec on every
 * answer, and JSON.stringify costs a small part of a schema check.
 */
export function specFromRevision(revision: SpecRevision): GroupSpec {
  const content = JSON.stringify(revision.spec);
  const known = parsedRevisions.get(content);
  if (known !== undefined) return known;
  if (revision.spec === null || typeof revision.spec !== 'object') {
    throw new TendError(
      'invalid_spec',
      `stored revision ${revision.revision} of ${revision.groupId} is empty`,
    );
  }
  const spec = parseGroupObject(revision.spec, '', {
    source: `store:${revision.groupId}@${revision.revision}`,
  });
  for (const oldest of parsedRevisions.keys()) {
    if (parsedRevisions.size < PARSED_REVISIONS_KEPT) break;
    parsedRevisions.delete(oldest);
  }
  // Shared by every caller: frozen, so a caller that changed it would fail loudly, not corrupt the next.
  deepFreeze(spec);
  parsedRevisions.set(content, spec);
  return spec;
}

async function validateWithPlugins(spec: GroupSpec, options: SpecCheckOptions): Promise<void> {
  const call = options.signal === undefined ? {} : { signal: options.signal };
  const instance = await resolveFor(spec, 'instance', () => options.resolver.instance(spec.instance.plugin));
  await rethrowAsSpecError(spec, 'instance', () => instance.validate(spec.instance.properties, call));
  const flavor = await resolveFor(spec, 'flavor', () => options.resolver.flavor(spec.flavor.plugin));
  await rethrowAsSpecError(spec, 'flavor', () =>
    flavor.validate(spec.flavor.properties, spec.allocation, call),
  );
}

async function resolveFor<T>(spec: GroupSpec, section: string, resolve: () => Promise<T>): Promise<T> {
  try {
    return await resolve();
  } catch (error) {
    if (TendError.is(error, 'not_found')) {
      throw new TendError('invalid_spec', `group ${spec.id}: ${section}.plugin: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

async function rethrowAsSpecError(
  spec: GroupSpec,
  section: string,
  call: () => Promise<void>,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (TendError.is(error, 'invalid_spec')) {
      const plugin = section === 'instance' ? spec.instance.plugin : spec.flavor.plugin;
      throw new TendError(
        'invalid_spec',
        `group ${spec.id}: ${section}.properties (plugin ${plugin}): ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
