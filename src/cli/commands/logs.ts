import type { Command } from 'commander';
import type { ManagerClient } from '../../api/index.js';
import { TendError, toTendError } from '../../spi/index.js';
import { colourAt, colourEnabled, paint } from '../colour.js';
import { isStructured, printData } from '../output.js';
import { clientFor, outputOf, withManager } from './connection.js';
import { parseCount, parseDuration } from './flags.js';

interface LogsOptions {
  follow: boolean;
  since?: string;
  tail?: string;
  prefix?: boolean;
}

interface Target {
  group: string;
  /** Set when the argument named one instance. */
  instance?: string;
}

/** How often a followed group is looked at for new instances (a heal's replacement). */
const NEW_INSTANCE_POLL_MS = 2000;

export function registerLogsCommand(program: Command): void {
  withManager(
    program
      .command('logs')
      .description("print an instance's output, or every instance's of a group, prefixed by instance")
      .argument('<group|instance>', 'a group (all its instances) or one instance ID')
      .option('-f, --follow', 'keep printing new output; a group also picks up new instances', false)
      .option('--since <time>', 'only output since then: a duration (10m, 1h) or an RFC 3339 time')
      .option('--tail <n>', 'only the last N lines of each instance')
      .option('--no-prefix', 'do not prefix lines with the instance ID')
      .addHelpText(
        'after',
        `
Examples:
  tend logs hello                      # the output of every instance of group hello
  tend logs hello -f --tail 5          # the last 5 lines of each, then follow (new instances too)
  tend logs proc-121bff9ff42ee5ea      # one instance, no prefix
  tend logs hello --since 10m`,
      ),
  ).action(async (name: string, options: LogsOptions, command: Command) => {
    const client = clientFor(command);
    const query = {
      ...(options.tail === undefined ? {} : { tail: parseCount(options.tail, '--tail', 0) }),
      ...(options.since === undefined ? {} : { sinceMs: parseSince(options.since) }),
    };
    const target = await resolveTarget(client, name);
    const instances =
      target.instance !== undefined ? [target.instance] : await instancesOf(client, target.group);
    const format = outputOf(command);
    const prefixed = options.prefix !== false && target.instance === undefined;
    if (!options.follow) {
      const answers = await Promise.all(instances.map((id) => client.logs(target.group, id, query)));
      if (isStructured(format)) {
        const instances = answers.map((a) => ({ instance: a.instance, text: a.text }));
        await printData({ group: target.group, instances }, format);
        return;
      }
      const printer = new PrefixPrinter(prefixed);
      for (const answer of answers) printer.write(answer.instance, answer.text, true);
      return;
    }
    if (isStructured(format))
      throw new TendError('invalid_spec', `--follow prints text; -o ${format} is for one look`);
    await follow(client, target, instances, query, new PrefixPrinter(prefixed));
  });
}

/** `10m` → now − 10 minutes; an RFC 3339 time as it is. */
export function parseSince(text: string, now = Date.now()): number {
  if (/^\d/.test(text) && /[a-z]$/i.test(text) && !text.includes('-'))
    return now - parseDuration(text, '--since');
  const at = Date.parse(text);
  if (!Number.isFinite(at)) {
    throw new TendError(
      'invalid_spec',
      `--since: expected a duration like 10m or a time like 2026-01-02T15:04:05Z, got ${text}`,
    );
  }
  return at;
}

/** A group name, else an instance: of a running group, else of one its events remember. */
async function resolveTarget(client: ManagerClient, name: string): Promise<Target> {
  const status = await client.status();
  if (status.groups.some((g) => g.id === name)) return { group: name };
  // One read finds the instance's group (GET /v1/instances/:instance), whatever the fleet's size.
  const live = await client.instance(name).catch((error: unknown) => {
    if (TendError.is(error, 'not_found')) return undefined;
    throw error;
  });
  if (live !== undefined) return { group: live.group, instance: name };
  const { events } = await client.events(0, 1, { instance: name });
  const group = events[0]?.groupId;
  if (group !== undefined && group !== '') return { group, instance: name };
  // A group without a status on this manager (no leader) still has a spec: logs of what it ran.
  const known = await client.group(name).then(
    () => true,
    () => false,
  );
  if (known) return { group: name };
  throw new TendError(
    'not_found',
    `no group or instance named ${name} (tend status lists groups, tend describe GROUP their instances)`,
  );
}

async function instancesOf(client: ManagerClient, group: string): Promise<string[]> {
  return (await client.allInstances(group)).map((i) => i.id);
}

async function follow(
  client: ManagerClient,
  target: Target,
  initial: readonly string[],
  query: { tail?: number; sinceMs?: number },
  printer: PrefixPrinter,
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const followed = new Map<string, Promise<void>>();
  const start = (id: string, from: { tail?: number; sinceMs?: number }) => {
    if (followed.has(id)) return;
    const done = client
      .followLogs(target.group, id, {
        ...from,
        signal: stop.signal,
        onLog: (text) => printer.write(id, text, false),
      })
      .catch((error: unknown) => {
        if (!stop.signal.aborted)
          process.stderr.write(`tend: logs of ${id}: ${toTendError(error).message}\n`);
      })
      .finally(() => printer.flush(id));
    followed.set(id, done);
  };
  try {
    for (const id of initial) start(id, query);
    if (target.instance !== undefined) {
      await Promise.all(followed.values());
      return;
    }
    while (!stop.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, NEW_INSTANCE_POLL_MS).unref());
      if (stop.signal.aborted) break;
      // A replacement's output is all new: followed from its start.
      const now = await instancesOf(client, target.group).catch(() => []);
      for (const id of now) start(id, {});
    }
  } finally {
    stop.abort();
    await Promise.all(followed.values());
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Writes whole lines, each prefixed `[id] ` (coloured per instance on a terminal) like `kubectl
 * logs --prefix`; a partial line waits for its end so two instances' output never interleaves
 * within a line.
 */
export class PrefixPrinter {
  private readonly prefixed: boolean;
  private readonly colour: boolean;
  private readonly pending = new Map<string, string>();
  private readonly order = new Map<string, number>();
  private readonly out: (text: string) => void;

  constructor(prefixed: boolean, options: { colour?: boolean; out?: (text: string) => void } = {}) {
    this.prefixed = prefixed;
    this.colour = options.colour ?? colourEnabled();
    this.out = options.out ?? ((text) => process.stdout.write(text));
  }

  /** `complete`: the text is all there is (a one-off read), so a last line without `\n` is printed. */
  write(id: string, text: string, complete: boolean): void {
    const joined = (this.pending.get(id) ?? '') + text;
    const lines = joined.split('\n');
    const rest = lines.pop() ?? '';
    for (const line of lines) this.out(`${this.prefix(id)}${line}\n`);
    this.pending.set(id, rest);
    if (complete) this.flush(id);
  }

  flush(id: string): void {
    const rest = this.pending.get(id) ?? '';
    if (rest !== '') this.out(`${this.prefix(id)}${rest}\n`);
    this.pending.delete(id);
  }

  private prefix(id: string): string {
    if (!this.prefixed) return '';
    let index = this.order.get(id);
    if (index === undefined) {
      index = this.order.size;
      this.order.set(id, index);
    }
    return `${paint(`[${id}]`, colourAt(index), this.colour)} `;
  }
}
