import type { Logger } from '../lib/index.js';
import type { ConfigStore, DamagedGroup, GroupEvent, GroupId, GroupStatus } from '../spi/index.js';

/**
 * Groups whose stored spec cannot be read. They are shown (phase `damaged`), announced once
 * (event and error log), refused for commits by the store, and looked at again on every retry so
 * a repaired file brings its group back without a restart. All other groups run as usual.
 */
export class DamagedGroups {
  private readonly known = new Map<GroupId, string>();
  private readonly options: {
    store: ConfigStore;
    logger: Logger;
    now: () => number;
    onEvent: (event: GroupEvent) => void;
  };

  constructor(options: DamagedGroups['options']) {
    this.options = options;
  }

  get size(): number {
    return this.known.size;
  }

  /** Records what the store reports damaged now; returns the ids that were damaged and no longer are. */
  async refresh(): Promise<GroupId[]> {
    const now = new Map((await this.options.store.listDamaged()).map((d) => [d.groupId, d.problem]));
    const repaired = [...this.known.keys()].filter((id) => !now.has(id));
    for (const id of repaired) this.known.delete(id);
    for (const [groupId, problem] of now) this.mark({ groupId, problem });
    return repaired;
  }

  status(id: GroupId): GroupStatus | undefined {
    const problem = this.known.get(id);
    return problem === undefined ? undefined : damagedStatus(id, problem);
  }

  statuses(): GroupStatus[] {
    return [...this.known].map(([id, problem]) => damagedStatus(id, problem));
  }

  private mark(group: DamagedGroup): void {
    if (this.known.get(group.groupId) === group.problem) return;
    this.known.set(group.groupId, group.problem);
    this.options.logger.error('group spec damaged; group not run until repaired', {
      group: group.groupId,
      problem: group.problem,
    });
    this.options.onEvent({
      type: 'damaged',
      groupId: group.groupId,
      message: `stored spec is damaged; the group is not run until it is repaired: ${group.problem}`,
      at: this.options.now(),
      data: { problem: group.problem },
    });
  }
}

/** A status with nothing observed, for groups no controller runs (damaged, standby, not started). */
export function unobservedStatus(
  id: GroupId,
  fields: Pick<GroupStatus, 'phase' | 'desired' | 'config'> & { lastError?: string | undefined },
): GroupStatus {
  const { lastError, ...rest } = fields;
  return {
    id,
    ...rest,
    observed: 0,
    healthy: 0,
    byConfig: {},
    instances: [],
    breaker: { open: false, consecutiveFailures: 0 },
    paused: false,
    ...(lastError === undefined ? {} : { lastError }),
  };
}

/** How a damaged group shows in the status: nothing known but the problem. */
export function damagedStatus(id: GroupId, problem: string): GroupStatus {
  return unobservedStatus(id, { phase: 'damaged', desired: 0, config: '', lastError: problem });
}
