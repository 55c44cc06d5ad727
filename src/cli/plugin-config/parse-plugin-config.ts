import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import {
  DEFAULT_PLUGIN_LIMITS,
  decodeYamlDocument,
  describeValue,
  expectedGot,
  formatPath,
  invalidSpec,
  issuesToProblems,
  joinPath,
  type PluginLimits,
  type SpecProblem,
} from '../../group/index.js';
import { type InstancePlugin, TendError } from '../../spi/index.js';
import { BUILTIN_PLUGIN_KINDS } from './builtin-kinds.js';
import type { PluginKind, PluginKindContext } from './define-kind.js';
import { limitsSchema } from './limits-schema.js';

/** A plugin config is a page of settings; anything near this size is a mistake. */
export const MAX_PLUGIN_CONFIG_BYTES = 256 * 1024;

/** One section of the file, checked: the kind's config is parsed, the plugin not created yet. */
export interface ConfiguredPlugin {
  name: string;
  kind: string;
  /** The kind's default limits with the section's overrides on top. */
  limits: PluginLimits;
  create: (context: PluginKindContext) => Promise<InstancePlugin>;
}

export interface PluginConfig {
  /** The file, as named in errors; undefined for text from elsewhere. */
  source: string | undefined;
  /** Relative paths in sections resolve against this (the file's directory). */
  baseDir: string;
  plugins: ReadonlyMap<string, ConfiguredPlugin>;
}

export interface ParsePluginConfigOptions {
  source?: string;
  baseDir?: string;
  kinds?: readonly PluginKind[];
}

/** Same alphabet as socket names, without `/` (that is `lookup/type`), so a name is a file name. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SECTION_KEYS = ['kind', 'limits', 'config'];

/**
 * Parses `--plugin-config`: `plugins: { <name>: { kind, limits?, config? } }`. Throws one
 * `invalid_spec` TendError listing every problem with its path (`plugins.ec2-east.config.region`).
 */
export function parsePluginConfig(text: string, options: ParsePluginConfigOptions = {}): PluginConfig {
  const kinds = options.kinds ?? BUILTIN_PLUGIN_KINDS;
  const fail = (problems: SpecProblem[]) => invalidSpec(problems, options.source, 'plugin config');
  const value = decodeYamlDocument(text, MAX_PLUGIN_CONFIG_BYTES, fail);
  if (value === null || value === undefined) {
    throw fail([
      { path: '', message: 'document is empty (expected "plugins:" with one section per plugin)' },
    ]);
  }
  if (!isMap(value)) throw fail([{ path: '', message: expectedGot('a map with "plugins"', value) }]);
  const problems: SpecProblem[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'plugins')
      problems.push({ path: formatPath([key]), message: 'unknown key (expected only "plugins")' });
  }
  const sections = value.plugins;
  if (!isMap(sections)) {
    problems.push({ path: 'plugins', message: expectedGot('a map from plugin names to sections', sections) });
    throw fail(problems);
  }
  const plugins = new Map<string, ConfiguredPlugin>();
  for (const [name, section] of Object.entries(sections)) {
    const configured = checkSection(name, section, kinds, problems);
    if (configured !== undefined) plugins.set(name, configured);
  }
  if (problems.length > 0) throw fail(problems);
  return { source: options.source, baseDir: options.baseDir ?? process.cwd(), plugins };
}

/** Reads and parses the file; a missing or oversized file is an `invalid_spec` naming it. */
export async function loadPluginConfig(
  file: string,
  options: Omit<ParsePluginConfigOptions, 'source' | 'baseDir'> = {},
): Promise<PluginConfig> {
  let text: string;
  try {
    // Checked before reading, so a huge file is never read into memory.
    const size = (await stat(file)).size;
    if (size > MAX_PLUGIN_CONFIG_BYTES) {
      throw new TendError(
        'invalid_spec',
        `invalid plugin config in ${file}:\ndocument is ${size} bytes; the limit is ${MAX_PLUGIN_CONFIG_BYTES / 1024} KiB`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof TendError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TendError('invalid_spec', `cannot read the plugin config ${file}: ${reason}`, { cause: error });
  }
  return parsePluginConfig(text, { ...options, source: file, baseDir: dirname(resolve(file)) });
}

function checkSection(
  name: string,
  section: unknown,
  kinds: readonly PluginKind[],
  problems: SpecProblem[],
): ConfiguredPlugin | undefined {
  const at = joinPath('plugins', formatPath([name]));
  const before = problems.length;
  if (!NAME.test(name)) {
    problems.push({
      path: at,
      message:
        'a plugin name is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit ("/" would read as lookup/type)',
    });
  }
  if (!isMap(section)) {
    problems.push({
      path: at,
      message: expectedGot('a section with "kind" (and optional "limits", "config")', section),
    });
    return undefined;
  }
  for (const key of Object.keys(section)) {
    if (!SECTION_KEYS.includes(key)) {
      problems.push({
        path: joinPath(at, formatPath([key])),
        message: `unknown key (expected one of: ${SECTION_KEYS.join(', ')})`,
      });
    }
  }
  const known = kinds.map((k) => k.kind).join(', ');
  const kindName = section.kind;
  const kind = kinds.find((k) => k.kind === kindName);
  if (kind === undefined) {
    problems.push({
      path: joinPath(at, 'kind'),
      message:
        typeof kindName === 'string'
          ? `unknown kind ${describeValue(kindName)} (known kinds: ${known})`
          : `${expectedGot('the name of a built-in kind', kindName)} (known kinds: ${known})`,
    });
  }
  // A built-in's name means that built-in: a spec saying `plugin: docker` must not land on
  // another platform because a file said so. Reconfiguring the built-in itself is fine.
  const shadowed = kinds.find((k) => k.kind === name);
  if (shadowed !== undefined && kind !== undefined && shadowed !== kind) {
    problems.push({
      path: at,
      message: `"${name}" is the name of the built-in ${name} plugin, so its kind must be ${name}; choose another name for a ${kind.kind} plugin`,
    });
  }
  const limits = limitsSchema.safeParse(section.limits ?? {}, { reportInput: true });
  if (!limits.success) problems.push(...cleanIssues(limits.error.issues, joinPath(at, 'limits')));
  const configured = kind?.configure(section.config);
  if (configured !== undefined && !configured.ok)
    problems.push(...cleanIssues(configured.issues, joinPath(at, 'config')));
  if (problems.length > before || kind === undefined || !limits.success || configured?.ok !== true)
    return undefined;
  const overrides = Object.fromEntries(Object.entries(limits.data).filter(([, v]) => v !== undefined));
  return {
    name,
    kind: kind.kind,
    limits: { ...(kind.defaultLimits ?? DEFAULT_PLUGIN_LIMITS), ...overrides },
    create: configured.create,
  };
}

/** Kinds' schemas may use zod's own wording; drop its "Invalid input: " lead-in. */
function cleanIssues(issues: readonly z.core.$ZodIssue[], prefix: string): SpecProblem[] {
  return issuesToProblems(issues, prefix).map((p) => ({
    ...p,
    message: p.message.replace(/^Invalid input: /, ''),
  }));
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
