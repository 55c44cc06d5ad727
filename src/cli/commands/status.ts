import type { Command } from 'commander';
import type { GroupView, StatusView } from '../../api/index.js';
import type { InstanceStatus } from '../../spi/index.js';
import { printJson, printLine, printTable } from '../output.js';
import { clientFor, outputOf, withManager } from './connection.js';
import { ageText, leaderText, locationText, phaseText, shortConfig, tagsText } from './render.js';

export function registerStatusCommands(program: Command): void {
  withManager(program.command('status').description('show every group and the leader')).action(
    async (_options: unknown, command: Command) => {
      const status = await clientFor(command).status();
      if (outputOf(command) === 'json') printJson(status);
      else printStatus(status);
    },
  );

  withManager(
    program.command('describe').description("show a group's spec and instances").argument('<group>'),
  ).action(async (group: string, _options: unknown, command: Command) => {
    const client = clientFor(command);
    const view = await client.group(group);
    // The instances come in pages (`GET /v1/groups/:id/instances`); describe shows them all.
    const instances = view.status === null ? [] : await client.allInstances(group);
    if (outputOf(command) === 'json')
      printJson(view.status === null ? view : { ...view, status: { ...view.status, instances } });
    else await printGroup(view, instances);
  });
}

export function printStatus(status: StatusView): void {
  printLine(
    `leader: ${leaderText(status.leader)}    this manager: ${status.self.name} (${status.self.role})`,
  );
  if (status.groups.length === 0) {
    printLine('no groups (apply one with `tend apply -f FILE`)');
    return;
  }
  printLine();
  printTable(
    ['GROUP', 'HEALTHY', 'RUNNING', 'DESIRED', 'CONFIG', 'STATE'],
    status.groups.map((g) => [
      g.id,
      String(g.healthy),
      String(g.observed),
      String(g.desired),
      shortConfig(g.config),
      phaseText(g) + (g.lastError === undefined ? '' : ` (${g.lastError})`),
    ]),
  );
}

async function printGroup(view: GroupView, instances: readonly InstanceStatus[]): Promise<void> {
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
  printTable(
    ['INSTANCE', 'LOGICAL', 'HEALTH', 'CONFIG', 'AGE', 'WHERE', 'TAGS'],
    instances.map((i) => [
      i.id,
      i.logicalId ?? '-',
      i.health,
      shortConfig(i.config) + (i.config === status.config ? '' : ' (old)'),
      ageText(i.createdAt, now),
      locationText(i.location),
      tagsText(i.tags),
    ]),
  );
}
