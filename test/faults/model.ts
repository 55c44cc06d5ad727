// What the campaign has asked for: the groups, their sizes and versions, and every commit it made
// (certain when the manager answered, uncertain when the answer was lost to a fault). Invariants
// compare the real world and the committed history with this.
import { GROUP_VARIABLE, RUN_VARIABLE } from './world.js';

export const MAX_SURGE = 1;

export interface CommitAttempt {
  size: number;
  version: number;
  deleted: boolean;
  /** The revision the manager answered with; undefined when the answer never came. */
  revision: number | undefined;
}

export interface GroupModel {
  id: string;
  plugin: 'process' | 'hostile';
  size: number;
  version: number;
  exists: boolean;
  /** The config hash the last successful apply answered with. */
  config: string | undefined;
  /** Most live instances allowed right now: size + maxSurge, or the larger of two sizes mid-change. */
  bound: number;
  attempts: CommitAttempt[];
}

export function newGroup(id: string, plugin: GroupModel['plugin'], size: number): GroupModel {
  return { id, plugin, size, version: 1, exists: false, config: undefined, bound: 0, attempts: [] };
}

function groupYaml(runId: string, g: GroupModel): string {
  const env = `{ ${RUN_VARIABLE}: "${runId}", ${GROUP_VARIABLE}: "${g.id}" }`;
  return `
  - id: ${g.id}
    allocation: { size: ${g.size} }
    instance: { plugin: ${g.plugin}, properties: { env: ${env} } }
    flavor:
      plugin: vanilla
      properties: { init: ["echo ${g.id} v${g.version}", "exec sleep 100000"] }
    health: { grace: 300ms, unhealthyAfter: 1s, maxInFlight: 2 }
    update: { maxSurge: ${MAX_SURGE}, maxUnavailable: 0, healthyFor: 200ms, timeout: 1m, onFailure: pause }`;
}

/** The spec document of the given groups, as `tend apply` would send it. */
export function specDocument(runId: string, groups: readonly GroupModel[]): string {
  return `groups:${groups.map((g) => groupYaml(runId, g)).join('')}\n`;
}

/** The size and version a stored revision's spec holds, read leniently (it is Tend's own shape). */
export function revisionContent(spec: unknown): { size: number | undefined; version: number | undefined } {
  const s = spec as { allocation?: { size?: unknown }; flavor?: { properties?: { init?: unknown } } };
  const size = typeof s?.allocation?.size === 'number' ? s.allocation.size : undefined;
  const init = s?.flavor?.properties?.init;
  const first = Array.isArray(init) ? String(init[0]) : '';
  const match = / v(\d+)$/.exec(first);
  return { size, version: match?.[1] === undefined ? undefined : Number(match[1]) };
}
