import { z } from 'zod';
import type { GroupEvent, GroupStatus, JsonValue, LeaderInfo, SpecRevision } from '../spi/index.js';

// The manager's HTTP API: request bodies (validated with zod, the trust boundary) and the shapes
// of its answers, shared by the server and `ManagerClient`.

export type ManagerRole = 'leader' | 'standby';

export interface ManagerSelf {
  name: string;
  role: ManagerRole;
  /** Base URL of this manager's API. */
  address: string;
  /** The epoch this manager leads at, when leader. */
  epoch?: number;
}

export interface LeaderView {
  self: ManagerSelf;
  leader: LeaderInfo | null;
}

export interface StatusView extends LeaderView {
  groups: GroupStatus[];
}

export interface GroupView {
  id: string;
  /** The latest committed revision (what the user declared). */
  revision: SpecRevision;
  /** Live status from the leader; null when no leader could be asked. */
  status: GroupStatus | null;
}

export interface RolloutPreview {
  fromConfigs: string[];
  toConfig: string;
  /** Instances on an old config that a rollout replaces. */
  instances: number;
  /** How many instances each step replaces, in order. */
  batches: number[];
}

export interface GroupPlanPreview {
  id: string;
  change: 'create' | 'update' | 'unchanged';
  config: string;
  desired: number;
  observed: number;
  creates: number;
  destroys: number;
  rollout?: RolloutPreview;
}

export interface AppliedGroup {
  id: string;
  change: 'created' | 'updated' | 'unchanged';
  config: string;
  revision: number;
}

export interface ApplyView {
  dryRun: boolean;
  groups: AppliedGroup[];
  /** Present for dry runs: what the controllers would do. */
  plan?: GroupPlanPreview[];
}

export interface EventsView {
  events: Array<GroupEvent & { seq: number }>;
}

export interface HistoryView {
  id: string;
  revisions: SpecRevision[];
}

export interface OkView {
  ok: true;
  id: string;
  revision?: number;
  message: string;
}

export interface ErrorBody {
  error: { kind: string; message: string; details?: Record<string, JsonValue> };
}

const author = z.string().min(1).max(200).optional();
const reason = z.string().max(2000).optional();

export const applyBody = z.object({
  document: z.string().min(1, 'document: expected a non-empty spec document'),
  dryRun: z.boolean().optional(),
  author,
  reason,
});
export type ApplyBody = z.infer<typeof applyBody>;

export const scaleBody = z.object({
  size: z.number().int().min(0).max(100_000),
  author,
  reason,
});
export type ScaleBody = z.infer<typeof scaleBody>;

export const destroyInstancesBody = z.object({
  instances: z.array(z.string().min(1).max(512)).min(1).max(10_000),
  author,
  reason,
});

/** Body of the actions that take no argument (rollout pause/resume/undo, destroy, free). */
export const actionBody = z.object({ author, reason }).default({});
export type ActionBody = z.infer<typeof actionBody>;

/** Who changed what, as recorded in history. */
export interface CommitMeta {
  author?: string | undefined;
  reason?: string | undefined;
}
