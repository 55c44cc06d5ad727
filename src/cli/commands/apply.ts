import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ApplyView, GroupPlanPreview } from '../../api/index.js';
import { type GroupSummary, type JsonValue, TendError } from '../../spi/index.js';
import { isStructured, printData, printLine, show } from '../output.js';
import { cliAuthor, clientFor, outputOf, withManager } from './connection.js';
import { parseDuration } from './flags.js';
import { isConverged, shortConfig } from './render.js';
import { type WatchVerdict, watchGroups } from './watch.js';

interface ApplyOptions {
  file: string;
  wait: boolean;
  timeout: string;
  reason?: string;
}

export function registerApplyCommands(program: Command): void {
  withManager(
    program
      .command('apply')
      .description('commit groups from a spec file and follow them until converged')
      .requiredOption('-f, --file <file>', 'spec file (YAML or JSON); - reads stdin')
      .option('--no-wait', 'return once committed, without following progress')
      .option('--timeout <duration>', 'how long to follow progress (e.g. 90s, 10m)', '10m')
      .option('--reason <text>', 'recorded in history')
      .addHelpText(
        'after',
        `
Examples:
  tend apply -f examples/process-group.yaml        # commit, then follow until converged
  tend apply -f spec.yaml --no-wait --reason "bigger boxes"
  cat spec.yaml | tend apply -f -                  # from stdin
  tend plan -f spec.yaml                           # first: what would change, field by field`,
      ),
  ).action(async (options: ApplyOptions, command: Command) => {
    const client = clientFor(command);
    const document = await readSpec(options.file);
    const format = outputOf(command);
    const json = isStructured(format);
    const author = cliAuthor();
    const result = await client.apply(document, {
      ...(author === undefined ? {} : { author }),
      reason: options.reason ?? `tend apply -f ${options.file}`,
    });
    if (!json) printApplied(result);
    if (!options.wait) {
      if (isStructured(format)) await printData(result, format);
      return;
    }
    const configs = new Map(result.groups.map((g) => [g.id, g.config]));
    const signal = AbortSignal.timeout(parseDuration(options.timeout));
    const verdict = await watchGroups({
      client,
      signal,
      groups: [...configs.keys()],
      print: json ? () => {} : (line) => printLine(line),
      until: (groups) => convergedOrFailed(groups, configs),
    });
    if (isStructured(format))
      await printData({ ...result, groups: result.groups, status: (await client.status()).groups }, format);
    if (verdict === 'done') {
      if (!json) printLine('converged');
      return;
    }
    if (verdict !== undefined) throw new TendError('conflict', verdict.failed);
    throw new TendError(
      'timeout',
      `not converged after ${options.timeout}; the manager keeps working on it (see \`tend status\`)`,
    );
  });

  withManager(
    program
      .command('plan')
      .description('show what applying a spec file would change, without changing anything')
      .requiredOption('-f, --file <file>', 'spec file (YAML or JSON); - reads stdin')
      .addHelpText(
        'after',
        `
Examples:
  tend plan -f spec.yaml              # each group: the fields that change, creates, destroys, batches
  tend -o json plan -f spec.yaml      # the same as one JSON document (a viewer token suffices)`,
      ),
  ).action(async (options: { file: string }, command: Command) => {
    const result = await clientFor(command).plan(await readSpec(options.file));
    await show(outputOf(command), result, () => {
      for (const plan of result.plan ?? []) printPlan(plan);
    });
  });
}

function convergedOrFailed(
  groups: readonly GroupSummary[],
  configs: ReadonlyMap<string, string>,
): WatchVerdict {
  for (const group of groups) {
    if (group.phase === 'breaker-open')
      return { failed: `${group.id}: ${group.breaker.reason ?? 'breaker open'}` };
    const rollout = group.rollout;
    if (rollout?.state === 'failed' || rollout?.state === 'rolling-back') {
      return {
        failed: `${group.id}: rollout ${rollout.state}${rollout.reason === undefined ? '' : `: ${rollout.reason}`}`,
      };
    }
    if (rollout?.state === 'paused' || group.phase === 'paused') {
      return { failed: `${group.id}: paused (resume with \`tend rollout resume ${group.id}\`)` };
    }
  }
  const done = [...configs].every(([id, config]) => {
    const group = groups.find((g) => g.id === id);
    return group !== undefined && isConverged(group, config);
  });
  return done ? 'done' : undefined;
}

function printApplied(result: ApplyView): void {
  for (const g of result.groups) {
    printLine(`${g.id}: ${g.change} (revision ${g.revision}, config ${shortConfig(g.config)})`);
  }
}

function printPlan(plan: GroupPlanPreview): void {
  const head =
    plan.change === 'create' ? 'new group' : plan.change === 'update' ? 'changes' : 'no change to the spec';
  printLine(
    `${plan.id}: ${head} (config ${shortConfig(plan.config)}, ${plan.observed} running, ${plan.desired} wanted)`,
  );
  for (const field of plan.fields ?? []) {
    printLine(`  ${field.path}: ${valueText(field.from)} → ${valueText(field.to)}`);
  }
  printLine(`  create ${plan.creates}, destroy ${plan.destroys}`);
  if (plan.rollout !== undefined) {
    const r = plan.rollout;
    printLine(
      `  rolling update of ${r.instances} instance(s) from ${r.fromConfigs.map(shortConfig).join(', ')} to ${shortConfig(r.toConfig)}, ` +
        `${r.batches.length} step(s) of ${r.batches.join(', ')}`,
    );
  }
}

/** A spec value in one line: JSON, cut at 80 characters; `(none)` for a field that is not there. */
export function valueText(value: JsonValue | undefined): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export async function readSpec(file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new TendError('not_found', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}
