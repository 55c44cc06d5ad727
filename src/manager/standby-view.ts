import { desiredCount } from '../group/index.js';
import { type Clock, within } from '../lib/index.js';
import { type ConfigStore, type GroupStatus, type GroupSummary, TendError } from '../spi/index.js';
import { damagedStatus, unobservedStatus } from './damaged-groups.js';
import { specFromRevision } from './spec-codec.js';

const NO_LEADER = 'no leader is running this group';

/**
 * What a standby can say about the groups without a leader to ask: what was declared, nothing
 * observed. The phase is `blind` because nobody is looking at the infrastructure.
 */
export async function standbyStatus(store: ConfigStore): Promise<GroupStatus[]> {
  const revisions = await store.list();
  const damaged = (await store.listDamaged()).map((d) => damagedStatus(d.groupId, d.problem));
  return revisions
    .map((revision): GroupStatus => {
      const spec = specFromRevision(revision);
      return unobservedStatus(spec.id, {
        phase: 'blind',
        desired: desiredCount(spec),
        config: '',
        lastError: NO_LEADER,
      });
    })
    .concat(damaged)
    .sort((a, b) => a.id.localeCompare(b.id));
}

export interface StandbyViewOptions {
  store: ConfigStore;
  clock: Clock;
  /** How often a standby reads the store on its own, so its last view is never older. */
  refreshMs: number;
}

/**
 * A standby's groups, with the last view kept for a store that stops answering (etcd paused):
 * then `GET /v1/status` answers that view, dated, instead of failing. The view is kept fresh
 * whoever asks: read every `refreshMs` while not leading (a standby whose reads all went to the
 * leader has read nothing itself), and taken from the leader's own statuses when a term ends (a
 * leader stepping down because etcd stopped answering has never read it as a standby).
 */
export class StandbyView {
  private readonly options: StandbyViewOptions;
  private last: { groups: GroupStatus[]; at: number } | undefined;
  private reading: Promise<GroupStatus[]> | undefined;

  constructor(options: StandbyViewOptions) {
    this.options = options;
  }

  /** The groups from the store if it answers within `waitMs`, else the last view, each saying so. */
  groups(waitMs: number): Promise<GroupStatus[]> {
    return within(this.read(), waitMs, () => {
      const last = this.last;
      if (last === undefined) {
        throw new TendError('unavailable', `the store did not answer within ${waitMs} ms`);
      }
      const note = `the store did not answer within ${waitMs} ms; as last read at ${new Date(last.at).toISOString()}`;
      return last.groups.map((g) => ({
        ...g,
        lastError: g.lastError === undefined ? note : `${g.lastError} (${note})`,
      }));
    });
  }

  /** One read of the store, shared by concurrent callers, kept as the last view. */
  read(): Promise<GroupStatus[]> {
    this.reading ??= standbyStatus(this.options.store)
      .then((groups) => {
        this.last = { groups, at: this.options.clock.now() };
        return groups;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  /** A term ended: what its leader ran is the freshest view there is until the store is read. */
  keepFromLeader(summaries: readonly GroupSummary[]): void {
    const groups = summaries.map(
      (g): GroupStatus =>
        g.phase === 'damaged'
          ? { ...g, instances: [] }
          : unobservedStatus(g.id, {
              phase: 'blind',
              desired: g.desired,
              config: g.config,
              lastError: NO_LEADER,
            }),
    );
    this.last = { groups, at: this.options.clock.now() };
  }

  /** Reads every `refreshMs` while `leading()` is false, until `signal` aborts. */
  async keepFresh(leading: () => boolean, signal: AbortSignal): Promise<void> {
    const { clock, refreshMs } = this.options;
    while (!signal.aborted) {
      // Bounded: a store that hangs must not hold the manager's stop.
      if (!leading()) await within(this.read(), refreshMs, () => undefined).catch(() => undefined);
      await clock.sleep(refreshMs, signal).catch(() => undefined);
    }
  }
}
