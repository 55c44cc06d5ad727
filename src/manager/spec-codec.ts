import { configHash, parseSpecDocument, specToDocument } from '../group/index.js';
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

/** Rebuilds the resolved spec from a stored revision. */
export function specFromRevision(revision: SpecRevision): GroupSpec {
  const [spec] = parseSpecDocument(JSON.stringify({ groups: [revision.spec] }), {
    source: `store:${revision.groupId}@${revision.revision}`,
  });
  if (spec === undefined) {
    throw new TendError(
      'invalid_spec',
      `stored revision ${revision.revision} of ${revision.groupId} is empty`,
    );
  }
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
