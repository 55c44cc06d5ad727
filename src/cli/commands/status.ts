import type { Command } from 'commander';
import type { GroupView, StatusView } from '../../api/index.js';
import type { GroupSummary, InstanceStatus } from '../../spi/index.js';
import { isStructured, printLine, printTable, show } from '../output.js';
import { clientFor, outputOf, withManager } from './connection.js';
import { redrawEvery, watchInterval } from './redraw.js';
import { ageText, leaderText, locationText, phaseText, shortConfig, tagsText } from './render.js';

export function registerStatusCommands(program: Command): void {
  withManager(
    program
      .command('status')
      .description('show every group and the leader')
      .option(WATCH_FLAG, WATCH_HELP)
      .addHelpText(
        'after',
        `
Examples:
  tend status                 # every group: healthy/running/desired, config, state
  tend status -o wide         # plus the configs running, the breaker and the last tick
  tend status --watch 5       # redraw every 5 s until Ctrl-C
  tend -o yaml status         # the whole answer as YAML`,
      ),
  ).action(async (options: WatchOption, command: Command) => {
    const client = clientFor(command);
    await everyOrOnce(command, options, async () => {
      const status = await client.status();
      await show(outputOf(command), status, (wide) => printStatus(status, wide));
    });
  });

  withManager(
    program
      .command('describe')
      .description("show a group's spec and instances")
      .argument('<group>')
      .option(WATCH_FLAG, WATCH_HELP)
      .addHelpText(
        'after',
        `
Examples:
  tend describe hello              # spec, state, and each instance with its PID or address
  tend describe hello -o wide      # whole config hashes and every tag
  tend describe hello --watch      # redraw every 2 s until Ctrl-C`,
      ),
  ).action(async (group: string, options: WatchOption, command: Command) => {
    const client = clientFor(command);
    await everyOrOnce(command, options, async () => {
      const view = await client.group(group);
      // The instances come in pages (`GET /v1/groups/:id/instances`); describe shows them all.
      const instances = view.status === null ? [] : await client.allInstances(group);
      const whole = view.status === null ? view : { ...view, status: { ...view.status, instances } };
      await show(outputOf(command), whole, (wide) => printGroup(view, instances, wide));
    });
  });
}

const WATCH_FLAG = '-w, --watch [seconds]';
const WATCH_HELP = 'redraw every N seconds (default 2) until Ctrl-C';

interface WatchOption {
  watch?: string | boolean;
}

/** Once, or with `--watch` again every N s; structured output prints one document per round. */
async function everyOrOnce(
  command: Command,
  options: WatchOption,
  frame: () => Promise<void>,
): Promise<void> {
  const intervalMs = await watchInterval(options.watch);
  if (intervalMs === undefined) return frame();
  const clear = process.stdout.isTTY === true && !isStructured(outputOf(command));
  await redrawEvery(intervalMs, frame, { clear });
}

export function printStatus(status: StatusView, wide = false): void {
  printLine(
    `leader: ${leaderText(status.leader)}    this manager: ${status.self.name} (${status.self.role})`,
  );
  if (status.groups.length === 0) {
    printLine('no groups (apply one with `tend apply -f FILE`)');
    return;
  }
  printLine();
  const now = Date.now();
  printTable(
    ['GROUP', 'HEALTHY', 'RUNNING', 'DESIRED', 'CONFIG', 'STATE', ...(wide ? WIDE_STATUS : [])],
    status.groups.map((g) => [
      g.id,
      String(g.healthy),
      String(g.observed),
      String(g.desired),
      wide ? g.config || '-' : shortConfig(g.config),
      phaseText(g) + (g.lastError === undefined ? '' : ` (${g.lastError})`),
      ...(wide ? wideStatusCells(g, now) : []),
    ]),
  );
}

const WIDE_STATUS = ['CONFIGS', 'BREAKER', 'LAST TICK'];

/** `-o wide`: the running configs with counts, the breaker's failures, how long ago it ticked. */
function wideStatusCells(g: GroupSummary, now: number): string[] {
  const configs = Object.entries(g.byConfig)
    .map(([config, count]) => `${shortConfig(config)}×${count}`)
    .join(',');
  const breaker = g.breaker.open ? 'open' : `closed (${g.breaker.consecutiveFailures} failed)`;
  return [configs || '-', breaker, g.lastTickAt === undefined ? '-' : `${ageText(g.lastTickAt, now)} ago`];
}

async function printGroup(
  view: GroupView,
  instances: readonly InstanceStatus[],
  wide: boolean,
): Promise<void> {
  const { revision, status } = view;
  printLine(`group:     ${view.id}`);
  printLine(`revision:  ${revision.revision} by ${revision.author} at ${revision.at} (${revision.reason})`);
  // Loaded here only: the YAML printer is needed by describe alone.
  const { stringify } = await import('yaml');
  printLine('spec:');
  for (const line of stringify(revision.spec).trimEnd().split('\n')) printLine(`  ${line}`);
  if (status === null) {
    printLine('status:    unknown (no leader could be asked)');
    return;
  }
  printLine(`state:     ${phaseText(status)}`);
  printLine(`instances: ${status.healthy}/${status.desired} healthy, ${status.observed} running`);
  printLine(`config:    ${status.config}`);
  if (status.rollout !== undefined) {
    const r = status.rollout;
    printLine(
      `rollout:   ${r.state} ${r.updated}/${r.total} ${shortConfig(r.fromConfig)} → ${shortConfig(r.toConfig)}`,
    );
  }
  if (status.breaker.open)
    printLine(`breaker:   open (${status.breaker.reason ?? 'replacements keep failing'})`);
  if (status.lastError !== undefined) printLine(`error:     ${status.lastError}`);
  printLine();
  const now = Date.now();
  // Wide: the whole config hash and every tag, Tend's own bookkeeping ones too.
  printTable(
    ['INSTANCE', 'LOGICAL', 'HEALTH', 'CONFIG', 'AGE', 'WHERE', 'TAGS'],
    instances.map((i) => [
      i.id,
      i.logicalId ?? '-',
      i.health,
      (wide ? i.config : shortConfig(i.config)) + (i.config === status.config ? '' : ' (old)'),
      ageText(i.createdAt, now),
      locationText(i.location),
      tagsText(i.tags, wide),
    ]),
  );
}
