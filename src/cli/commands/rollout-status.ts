import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { GroupView, ManagerClient } from '../../api/index.js';
import type { GroupSummary } from '../../spi/index.js';
import { isStructured, type OutputFormat, printData, printLine } from '../output.js';
import { clientFor, outputOf, withManager } from './connection.js';
import { parseDuration } from './flags.js';
import { phaseText, shortConfig } from './render.js';

interface RolloutStatusOptions {
  wait: boolean;
  timeout?: string;
}

/** Where a group's rollout stands, as `rollout status` reports it and maps to an exit code. */
export type RolloutVerdict = 'done' | 'progressing' | 'paused' | 'failed' | 'rolled-back' | 'unknown';

/**
 * Like `kubectl rollout status`: waits until the group runs its latest config at full size and
 * healthy (exit 0), or the rollout failed, paused itself on a failure or rolled back (exit 1).
 * A pause by an operator is shown and waited through: someone may resume it.
 */
export function registerRolloutStatusCommand(rollout: Command): void {
  withManager(
    rollout
      .command('status')
      .description('follow a rollout until it is done (exit 0), or failed or rolled back (exit 1)')
      .argument('<group>')
      .option('--no-wait', 'look once and exit (1 if failed or rolled back)')
      .option('--timeout <duration>', 'give up (exit 1) after this long, e.g. 10m'),
  ).action(async (group: string, options: RolloutStatusOptions, command: Command) => {
    const format = outputOf(command);
    const deadline = options.timeout === undefined ? undefined : Date.now() + parseDuration(options.timeout);
    const verdict = await follow(clientFor(command), group, { wait: options.wait, format, deadline });
    if (verdict !== 'done' && verdict !== 'progressing' && verdict !== 'paused') process.exitCode = 1;
  });
}

async function follow(
  client: ManagerClient,
  group: string,
  how: { wait: boolean; format: OutputFormat; deadline: number | undefined },
): Promise<RolloutVerdict> {
  let startedFor: string | undefined;
  let lastLine = '';
  for (;;) {
    const view = await client.group(group);
    const verdict = verdictOf(view.status, startedFor);
    startedFor ??= view.status?.rollout?.toConfig ?? view.status?.config;
    const finished = verdict === 'done' || verdict === 'failed' || verdict === 'rolled-back';
    const timedOut = how.deadline !== undefined && Date.now() >= how.deadline;
    if (isStructured(how.format)) {
      if (finished || !how.wait || timedOut) {
        const result = {
          id: group,
          verdict: timedOut && !finished ? 'timeout' : verdict,
          status: view.status,
        };
        await printData(result, how.format);
        return timedOut && !finished ? 'unknown' : verdict;
      }
    } else {
      const line = describe(group, view, verdict);
      if (line !== lastLine) printLine(line);
      lastLine = line;
      if (finished || !how.wait) return verdict;
      if (timedOut) {
        printLine(
          `${group}: gave up waiting; the manager keeps working on it (see \`tend describe ${group}\`)`,
        );
        return 'unknown';
      }
    }
    await sleep(500);
  }
}

/**
 * `startedFor` is the config the rollout aimed at when we started watching: a later rollout back
 * to an older config is a rollback, even after it finished.
 */
export function verdictOf(status: GroupSummary | null, startedFor?: string): RolloutVerdict {
  if (status === null) return 'unknown';
  const r = status.rollout;
  if (r?.state === 'failed') return 'failed';
  if (r?.state === 'rolling-back') return 'rolled-back';
  if (r?.state === 'paused') return 'failed'; // paused by the controller itself on a failure
  if (startedFor !== undefined && status.config !== startedFor) return 'rolled-back';
  if (status.paused) return 'paused';
  const allUpdated = Object.keys(status.byConfig).every((config) => config === status.config);
  const done =
    (r === undefined || r.state === 'done') &&
    allUpdated &&
    status.observed === status.desired &&
    status.healthy >= status.desired;
  return done ? 'done' : 'progressing';
}

function describe(group: string, view: GroupView, verdict: RolloutVerdict): string {
  const status = view.status;
  if (status === null) return `${group}: unknown (no leader could be asked)`;
  const r = status.rollout;
  const progress = r === undefined ? '' : `, ${r.updated}/${r.total} updated to ${shortConfig(r.toConfig)}`;
  const reason = r?.reason === undefined ? '' : ` (${r.reason})`;
  switch (verdict) {
    case 'done':
      return `${group}: rollout done, ${status.healthy}/${status.desired} healthy on ${shortConfig(status.config)}`;
    case 'paused':
      return `${group}: paused by an operator${progress}; \`tend rollout resume ${group}\` continues`;
    case 'failed':
      return `${group}: rollout failed${progress}${reason}`;
    case 'rolled-back':
      return `${group}: rolled back to ${shortConfig(status.config)}${reason}`;
    default:
      return `${group}: waiting for the rollout${progress} (${phaseText(status)})`;
  }
}
