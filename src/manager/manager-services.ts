import { join } from 'node:path';
import type { StatusView } from '../api/index.js';
import { ReadCache, STATUS_KEY, StatusFeed } from '../api/server/index.js';
import { AuditLog, TokenStore } from '../auth/index.js';
import type { Logger } from '../lib/index.js';
import { EventLog } from './event-log.js';
import { ManagerMetrics, type MetricsSnapshot } from './metrics.js';

/** The operator-facing parts of a manager: who may call, what they did, what happened, how it runs. */
export interface ManagerServices {
  tokens: TokenStore;
  audit: AuditLog;
  events: EventLog;
  metrics: ManagerMetrics;
  statusFeed: StatusFeed;
  /** Serialized read answers; dropped only through `changed`. */
  reads: ReadCache;
  /**
   * Something a read shows changed: a group (its answers and the status are dropped) or, without
   * one, everything. The one place the read cache is invalidated: the manager's writes and every
   * event (created, replaced, a rollout step, a leader change) come through here.
   */
  changed(group?: string): void;
}

export interface ServicesOptions {
  name: string;
  /** Holds tokens.json (unless `tokens` is given), audit.log and events-<name>.jsonl; in memory when absent. */
  dataDir: string | undefined;
  tokens: TokenStore | undefined;
  eventCapacity: number;
  logger: Logger;
  snapshot: () => MetricsSnapshot;
  status: () => Promise<StatusView>;
}

export async function openServices(options: ServicesOptions): Promise<ManagerServices> {
  const dir = options.dataDir;
  const reads = new ReadCache();
  const events = await EventLog.open({
    dir,
    name: options.name,
    capacity: options.eventCapacity,
    logger: options.logger,
  });
  // A group's event (created, replaced, rollout step) changes what reads of that group and the
  // status show; a leader change (no group) changes every answer.
  const changed = (group?: string) => reads.invalidate(group);
  events.subscribe((event) => changed(event.groupId === '' ? undefined : event.groupId));
  const metrics = new ManagerMetrics(options.snapshot);
  metrics.history.start();
  return {
    tokens:
      options.tokens ??
      (await TokenStore.open({
        ...(dir === undefined ? {} : { file: join(dir, 'tokens.json') }),
        logger: options.logger,
      })),
    audit: new AuditLog(dir === undefined ? {} : { file: join(dir, 'audit.log') }),
    events,
    metrics,
    statusFeed: new StatusFeed({
      // The same bytes `GET /v1/status` serves: one computation for the stream and the readers.
      compute: async () => (await reads.get(STATUS_KEY, options.status)).json,
      logger: options.logger.child({ component: 'api' }),
    }),
    reads,
    changed,
  };
}
