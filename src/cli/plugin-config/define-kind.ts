import type { z } from 'zod';
import type { PluginLimits } from '../../group/index.js';
import type { Clock, Logger } from '../../lib/index.js';
import type { InstancePlugin } from '../../spi/index.js';

/** What a kind's `create` gets besides its validated config. */
export interface PluginKindContext {
  /** The name groups use (`spec.instance.plugin`): the section's key, or the kind's own name. */
  name: string;
  /**
   * A directory for this plugin's own state (not created): `--state-dir` for `process`, else
   * `<TEND_HOME>/<name>`, so two configured copies of a kind never share state.
   */
  stateDir: string;
  /** Where plugins running as separate processes put their sockets. */
  pluginDir: string;
  /** Resolves a path written in the config file against the file's directory. */
  resolvePath: (path: string) => string;
  /** Already bound to `{ plugin: name }`. */
  logger: Logger;
  clock: Clock;
  /** The manager's seed for deterministic plugins (the simulator). */
  seed: number;
}

/** A kind's config checked: the factory for that configuration, or zod's issues. */
export type ConfigureResult =
  | { ok: true; create: (context: PluginKindContext) => Promise<InstancePlugin> }
  | { ok: false; issues: readonly z.core.$ZodIssue[] };

/** One built-in implementation that `--plugin-config` sections can name in `kind:`. */
export interface PluginKind {
  readonly kind: string;
  /** One line, listed when a section names an unknown kind. */
  readonly summary: string;
  /** Limits of a plugin of this kind unless its section overrides them; absent: the manager's default. */
  readonly defaultLimits: PluginLimits | undefined;
  /** Validates a section's `config` (absent = `{}`). */
  configure(config: unknown): ConfigureResult;
}

export interface PluginKindDefinition<S extends z.ZodType> {
  kind: string;
  summary: string;
  /** Validates `config`; the file's errors name each issue's path under `plugins.<name>.config`. */
  configSchema: S;
  defaultLimits?: PluginLimits;
  create(config: z.output<S>, context: PluginKindContext): Promise<InstancePlugin>;
}

/**
 * Declares a kind. Its config is parsed once, when the file is read (so `tend up` refuses a bad
 * file before opening anything); the plugin itself is created on first use, like every built-in.
 */
export function definePluginKind<S extends z.ZodType>(definition: PluginKindDefinition<S>): PluginKind {
  return {
    kind: definition.kind,
    summary: definition.summary,
    defaultLimits: definition.defaultLimits,
    configure(config) {
      const result = definition.configSchema.safeParse(config ?? {}, { reportInput: true });
      if (!result.success) return { ok: false, issues: result.error.issues };
      const parsed = result.data;
      return { ok: true, create: (context) => definition.create(parsed, context) };
    },
  };
}
