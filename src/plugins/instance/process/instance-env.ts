/**
 * What an instance's environment is built from. Never the manager's whole environment: that holds
 * `TEND_TOKEN`, cloud credentials and whatever else the operator exported, and every workload
 * would see them. Only these few, which a shell script needs to behave as usual, pass through.
 */
export const inheritedVariables = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
];

/** Used when the manager itself has no PATH (a bare service manager environment). */
const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface InstanceEnvInput {
  id: string;
  /** The state dir's marker (see StateDir.marker): which plugin's instance this process is. */
  stateDirId?: string;
  logicalId?: string;
  /** The spec's `properties.env`; it wins over anything inherited. */
  extra?: Readonly<Record<string, string>>;
  /** The manager's environment; only `inheritedVariables` are read from it. */
  from?: NodeJS.ProcessEnv;
}

/** The environment of a new instance: inherited basics, the spec's `env`, then the `TEND_*` ids. */
export function instanceEnv(input: InstanceEnvInput): Record<string, string> {
  const from = input.from ?? process.env;
  const env: Record<string, string> = { PATH: defaultPath };
  for (const name of inheritedVariables) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, input.extra ?? {});
  // Last, so a spec cannot hide an instance from the plugin that looks it up by this id.
  env.TEND_INSTANCE_ID = input.id;
  if (input.stateDirId !== undefined) env.TEND_STATE_DIR_ID = input.stateDirId;
  if (input.logicalId !== undefined) env.TEND_LOGICAL_ID = input.logicalId;
  return env;
}
