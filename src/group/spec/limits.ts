import type { GroupSpec } from '../../spi/index.js';
import { joinPath, type SpecProblem } from './problems.js';

/**
 * Instances (size, or logical IDs) one group may ask for unless the manager says otherwise
 * (`tend up --max-group-size`). A planner tick is bounded anyway; this catches the typo
 * (`size: 100000000`) that would otherwise commit a bill no one meant to run up.
 */
export const DEFAULT_MAX_GROUP_SIZE = 10_000;

/** The allocation's problem with a manager's ceiling, at `path` (`groups[1]`, or '' for a lone group). */
export function allocationLimitProblems(
  allocation: GroupSpec['allocation'],
  maxGroupSize: number,
  path: string,
): SpecProblem[] {
  if ('size' in allocation) {
    if (allocation.size <= maxGroupSize) return [];
    return [
      { path: joinPath(path, 'allocation.size'), message: sizeLimitMessage(allocation.size, maxGroupSize) },
    ];
  }
  const count = allocation.logicalIds.length;
  if (count <= maxGroupSize) return [];
  const message = `expected at most ${maxGroupSize} logical IDs (this manager's limit, tend up --max-group-size), got ${count}`;
  return [{ path: joinPath(path, 'allocation.logicalIds'), message }];
}

export function sizeLimitMessage(size: number, maxGroupSize: number): string {
  return `expected a whole number ≤ ${maxGroupSize} (this manager's limit, tend up --max-group-size), got ${size}`;
}
