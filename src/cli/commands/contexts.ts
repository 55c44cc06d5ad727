import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TendError } from '../../spi/index.js';
import { tendHome } from './tend-home.js';

/**
 * Named contexts in `$TEND_HOME/config.yaml`, kubectl's habit:
 *
 * ```yaml
 * current: prod
 * contexts:
 *   prod:  { manager: https://tend.example:7420, tokenFile: ~/.tend/prod.token, ca: prod-ca.pem }
 *   local: { manager: http://127.0.0.1:7420, token: tend_… }
 * ```
 *
 * Checked by hand rather than with zod: this runs before every client command, and `tend status`
 * must not load the schema library (docs/decisions.md, CLI).
 */
export interface TendContext {
  name: string;
  manager?: string;
  token?: string;
  /** Read when the client is made; relative to the config file, `~` for the home directory. */
  tokenFile?: string;
  ca?: string;
}

export interface TendConfig {
  file: string;
  current?: string;
  contexts: Map<string, TendContext>;
}

const CONTEXT_KEYS = ['manager', 'token', 'tokenFile', 'ca'] as const;

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(tendHome(env), 'config.yaml');
}

/** The config file, or undefined when there is none (contexts are optional). */
export async function loadConfig(file = configFile()): Promise<TendConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new TendError('invalid_spec', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const { parse } = await import('yaml');
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new TendError('invalid_spec', `${file}: not valid YAML (${(error as Error).message})`);
  }
  return parseConfig(value ?? {}, file);
}

export function parseConfig(value: unknown, file: string): TendConfig {
  const fail = (path: string, message: string) =>
    new TendError('invalid_spec', `${file}: ${path}: ${message}`);
  if (!isMap(value)) throw fail('(top)', 'expected a map with current and contexts');
  for (const key of Object.keys(value)) {
    if (key !== 'current' && key !== 'contexts') throw fail(key, 'unknown key (expected current, contexts)');
  }
  const current = value.current;
  if (current !== undefined && current !== null && typeof current !== 'string')
    throw fail('current', 'expected the name of a context');
  const contexts = new Map<string, TendContext>();
  const raw = value.contexts ?? {};
  if (!isMap(raw))
    throw fail('contexts', 'expected a map of context names to { manager, token | tokenFile, ca }');
  for (const [name, entry] of Object.entries(raw)) {
    if (!isMap(entry)) throw fail(`contexts.${name}`, 'expected a map with manager, token or tokenFile, ca');
    const context: TendContext = { name };
    for (const [key, item] of Object.entries(entry)) {
      const known = CONTEXT_KEYS.find((k) => k === key);
      if (known === undefined)
        throw fail(`contexts.${name}.${key}`, `unknown key (expected one of: ${CONTEXT_KEYS.join(', ')})`);
      if (typeof item !== 'string' || item === '') throw fail(`contexts.${name}.${key}`, 'expected a string');
      context[known] = item;
    }
    if (context.token !== undefined && context.tokenFile !== undefined)
      throw fail(`contexts.${name}`, 'expected token or tokenFile, not both');
    contexts.set(name, context);
  }
  return { file, ...(typeof current === 'string' ? { current } : {}), contexts };
}

/**
 * The context to use: `--context` (or `$TEND_CONTEXT`), else the file's `current`, else none.
 * A name the file does not have is an error listing the ones it has.
 */
export function selectContext(
  config: TendConfig | undefined,
  wanted: string | undefined,
): TendContext | undefined {
  const name = wanted ?? config?.current;
  if (name === undefined) return undefined;
  const found = config?.contexts.get(name);
  if (found !== undefined) return found;
  const where =
    config === undefined ? `there is no ${configFile()}` : `${config.file} has ${namesOf(config)}`;
  throw new TendError('not_found', `no context named ${JSON.stringify(name)}: ${where}`);
}

export function namesOf(config: TendConfig): string {
  return config.contexts.size === 0 ? 'no contexts' : [...config.contexts.keys()].join(', ');
}

/** A path from the config file: `~/x` in the home directory, relative to the file's folder. */
export function configPath(path: string, file: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(dirname(file), path);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
