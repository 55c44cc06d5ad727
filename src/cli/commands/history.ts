import type { Command } from 'commander';
import { printTable, show } from '../output.js';
import { clientFor, outputOf, withManager } from './connection.js';

export function registerHistoryCommand(program: Command): void {
  withManager(
    program.command('history').description("list a group's committed revisions").argument('<group>'),
  ).action(async (group: string, _options: unknown, command: Command) => {
    const history = await clientFor(command).history(group);
    await show(outputOf(command), history, (wide) =>
      printTable(
        ['REVISION', 'AT', 'AUTHOR', 'REASON', 'SIZE', ...(wide ? ['INSTANCE', 'FLAVOR'] : [])],
        history.revisions.map((r) => [
          String(r.revision) + (r.deleted === true ? ' (removed)' : ''),
          r.at,
          r.author,
          r.reason,
          sizeOf(r.spec),
          ...(wide ? [pluginOf(r.spec, 'instance'), pluginOf(r.spec, 'flavor')] : []),
        ]),
      ),
    );
  });
}

function pluginOf(spec: unknown, section: 'instance' | 'flavor'): string {
  if (typeof spec !== 'object' || spec === null || !(section in spec)) return '-';
  const ref = (spec as Record<string, unknown>)[section];
  return typeof ref === 'object' && ref !== null && 'plugin' in ref ? String(ref.plugin) : '-';
}

function sizeOf(spec: unknown): string {
  if (typeof spec !== 'object' || spec === null || !('allocation' in spec)) return '-';
  const allocation = spec.allocation;
  if (typeof allocation !== 'object' || allocation === null) return '-';
  if ('size' in allocation) return String(allocation.size);
  if ('logicalIds' in allocation && Array.isArray(allocation.logicalIds))
    return allocation.logicalIds.join(',');
  return '-';
}
