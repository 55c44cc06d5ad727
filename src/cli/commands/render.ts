import type { GroupSummary, InstanceLocation, LeaderInfo, Tags } from '../../spi/index.js';

/** Config hashes are long; people recognise the first few characters, as with git. */
export function shortConfig(config: string): string {
  return config === '' ? '-' : config.slice(0, 8);
}

/** One line per group: `hello  3/3 healthy  config abc123  converged`. */
export function groupLine(status: GroupSummary, idWidth = status.id.length): string {
  const parts = [
    status.id.padEnd(idWidth),
    `${status.healthy}/${status.desired} healthy`,
    `${status.observed} running`,
    `config ${shortConfig(status.config)}`,
    phaseText(status),
  ];
  if (status.lastError !== undefined) parts.push(`(${status.lastError})`);
  return parts.join('  ');
}

export function phaseText(status: GroupSummary): string {
  const rollout = status.rollout;
  if (status.phase === 'rolling' && rollout !== undefined) {
    return `rolling ${rollout.updated}/${rollout.total} to ${shortConfig(rollout.toConfig)}`;
  }
  if (status.phase === 'breaker-open')
    return `breaker open: ${status.breaker.reason ?? 'replacements keep failing'}`;
  if (status.paused && status.phase !== 'paused') return `${status.phase}, paused`;
  return status.phase;
}

export function leaderText(leader: LeaderInfo | null): string {
  if (leader === null) return 'no leader';
  return `${leader.name}${leader.address === undefined ? '' : ` at ${leader.address}`} (epoch ${leader.epoch})`;
}

export function ageText(createdAt: number | undefined, now: number): string {
  if (createdAt === undefined) return '-';
  const seconds = Math.max(0, Math.round((now - createdAt) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/** True once the group runs its latest config at the declared size, all healthy. */
export function isConverged(status: GroupSummary, config?: string): boolean {
  return (
    status.phase === 'converged' &&
    (config === undefined || status.config === config) &&
    status.healthy === status.desired &&
    status.observed === status.desired
  );
}

/** Where an instance lives, in a few words: `pid 4242 on box`, `container 1a2b3c 172.17.0.2`. */
export function locationText(location: InstanceLocation | undefined): string {
  if (location === undefined) return '-';
  const parts: string[] = [];
  if (location.pid !== undefined) parts.push(`pid ${location.pid}`);
  if (location.containerId !== undefined) parts.push(`container ${location.containerId}`);
  if (location.address !== undefined) parts.push(location.address);
  if (location.host !== undefined && location.host !== location.address) {
    parts.push(parts.length === 0 ? location.host : `on ${location.host}`);
  }
  return parts.length === 0 ? '-' : parts.join(' ');
}

/** Tend's own bookkeeping tags (group, config, op, epoch) are left out: they say nothing new here. */
const BOOKKEEPING = new Set(['tend.group', 'tend.config', 'tend.op', 'tend.epoch', 'tend.logical']);

export function tagsText(tags: Tags, all = false): string {
  const shown = Object.entries(tags).filter(([key]) => all || !BOOKKEEPING.has(key));
  return shown.length === 0 ? '-' : shown.map(([k, v]) => `${k}=${v}`).join(',');
}
