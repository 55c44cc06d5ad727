// The swarm's cluster object as a small compare-and-swap register: its spec labels live in the
// swarm's Raft store, and an update names the version it read, so SwarmKit refuses it ("update
// out of sequence") if anyone wrote in between. Swarm leadership keeps its seat here, and the
// swarm store its records.
import type Docker from 'dockerode';
import { TendError } from '../spi/index.js';

export interface SeatRecord {
  name: string;
  address?: string;
  /** Swarm node ID of the engine the holder runs beside. */
  node: string;
  /** Random per term: tells this term's seat from an earlier one of the same name. */
  token: string;
  /** 0 until the holder has read its epoch back and recorded it. */
  epoch: number;
  /** Bumped on each renewal, so standbys can see the holder is alive. */
  beat: number;
}

export interface Cluster {
  /** Cluster `Version.Index`: the Raft store index of the last write to the cluster object. */
  index: number;
  spec: Record<string, unknown> & { Labels?: Record<string, string> };
  seat: SeatRecord | undefined;
  seatRaw: string | undefined;
}

interface Inspected {
  Version?: { Index?: number };
  Spec?: Record<string, unknown> & { Labels?: Record<string, string> };
}

/** Reads the cluster object (only a manager can); `label`, if given, names the seat to decode. */
export async function clusterRead(docker: Docker, label?: string): Promise<Cluster> {
  const inspected = (await docker.swarmInspect()) as Inspected;
  const index = inspected.Version?.Index;
  if (typeof index !== 'number' || inspected.Spec === undefined) {
    throw new TendError('internal', 'swarm: the cluster object has no version or spec');
  }
  const raw = label === undefined ? undefined : inspected.Spec.Labels?.[label];
  let seat: SeatRecord | undefined;
  if (raw !== undefined) {
    try {
      seat = JSON.parse(raw) as SeatRecord;
    } catch {
      throw new TendError('internal', `swarm: cluster label ${label} does not hold a seat record`, {
        details: { label },
      });
    }
  }
  return { index, spec: inspected.Spec, seat, seatRaw: raw };
}

/**
 * Sets (or, with undefined, removes) labels on the cluster spec as read in `cluster`. Resolves
 * false when someone wrote the cluster since that read (the compare-and-swap lost).
 */
export async function clusterWriteLabels(
  docker: Docker,
  cluster: Cluster,
  changes: Readonly<Record<string, string | undefined>>,
): Promise<boolean> {
  const labels: Record<string, string> = { ...(cluster.spec.Labels ?? {}) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete labels[key];
    else labels[key] = value;
  }
  try {
    await docker.swarmUpdate({
      _query: { version: cluster.index },
      _body: { ...cluster.spec, Labels: labels },
    } as unknown as Parameters<Docker['swarmUpdate']>[0]);
    return true;
  } catch (error) {
    if (/out of sequence/i.test(String((error as { message?: unknown }).message ?? error))) return false;
    throw error;
  }
}

export function clusterWrite(
  docker: Docker,
  cluster: Cluster,
  label: string,
  seat: SeatRecord | undefined,
): Promise<boolean> {
  return clusterWriteLabels(docker, cluster, {
    [label]: seat === undefined ? undefined : JSON.stringify(seat),
  });
}

/** This engine's swarm node and whether it is the Raft leader now (throws if not a manager). */
export async function localNode(docker: Docker): Promise<{ id: string; leader: boolean }> {
  const info = (await docker.info()) as { Swarm?: { NodeID?: string; ControlAvailable?: boolean } };
  const id = info.Swarm?.NodeID;
  if (id === undefined || id === '')
    throw new TendError('unavailable', 'swarm: this engine is not in a swarm');
  if (info.Swarm?.ControlAvailable !== true) return { id, leader: false };
  const node = (await docker.getNode(id).inspect()) as { ManagerStatus?: { Leader?: boolean } };
  return { id, leader: node.ManagerStatus?.Leader === true };
}
