import type { Command } from 'commander';

type Register = (program: Command) => void;

interface CommandModule {
  /** The top-level command names the module registers. */
  names: readonly string[];
  /** Of its names, those that need every other command registered too (completion lists them). */
  needsAll?: readonly string[];
  load: () => Promise<Register>;
}

/**
 * Every command, one line per command file. A module is imported only when its command runs:
 * `tend status` must not load the manager, etcd's gRPC client or the spec schemas it never uses.
 */
const modules: readonly CommandModule[] = [
  { names: ['up'], load: async () => (await import('./up.js')).registerUpCommand },
  { names: ['apply', 'plan'], load: async () => (await import('./apply.js')).registerApplyCommands },
  { names: ['status', 'describe'], load: async () => (await import('./status.js')).registerStatusCommands },
  { names: ['scale'], load: async () => (await import('./scale.js')).registerScaleCommand },
  { names: ['rollout'], load: async () => (await import('./rollout.js')).registerRolloutCommands },
  { names: ['history'], load: async () => (await import('./history.js')).registerHistoryCommand },
  { names: ['destroy', 'free'], load: async () => (await import('./remove.js')).registerRemoveCommands },
  { names: ['plugin'], load: async () => (await import('./plugin.js')).registerPluginCommands },
  { names: ['token'], load: async () => (await import('./token.js')).registerTokenCommands },
  { names: ['events'], load: async () => (await import('./events.js')).registerEventsCommand },
  { names: ['logs'], load: async () => (await import('./logs.js')).registerLogsCommand },
  { names: ['top'], load: async () => (await import('./top.js')).registerTopCommand },
  { names: ['context'], load: async () => (await import('./context.js')).registerContextCommands },
  {
    names: ['completion', '__complete'],
    needsAll: ['completion'],
    load: async () => (await import('./completion.js')).registerCompletionCommand,
  },
];

/** Options of the program itself that take a value, so the command word is found after them. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-o', '--output']);

/**
 * Adds the command that `args` (the words after `tend`) names, or every command when it names
 * none we know (help, a typo: commander then lists them all and suggests the nearest).
 */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const word = commandWord(args);
  // `tend --version` prints a line: loading every command (etcd's gRPC, zod) cost it ~0.7 s.
  if (word === undefined && args.some((a) => a === '-V' || a === '--version')) return;
  const wanted = modules.filter((m) => word !== undefined && m.names.includes(word));
  const all = word !== undefined && wanted.some((m) => m.needsAll?.includes(word) === true);
  const chosen = wanted.length > 0 && !all ? wanted : modules;
  const registers = await Promise.all(chosen.map((m) => m.load()));
  for (const register of registers) register(program);
}

function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}
