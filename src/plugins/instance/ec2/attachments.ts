import {
  AttachVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type EC2Client,
  type Volume,
} from '@aws-sdk/client-ec2';
import type { Clock, Logger } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';
import { ec2Call } from './describe.js';
import type { VolumeAttachment } from './properties.js';

export interface AttachContext {
  client: EC2Client;
  clock: Clock;
  logger: Logger;
  /** How long to wait for a volume to come free or an instance to be running: attempts × interval. */
  poll: { attempts: number; intervalMs: number };
  signal?: AbortSignal | undefined;
}

/** States of the instance a volume is attached to in which taking the volume away is safe. */
const DEAD_HOLDER_STATES = new Set(['stopped', 'stopping', 'shutting-down', 'terminated']);

async function volume(ctx: AttachContext, id: string): Promise<Volume> {
  const answer = await ec2Call(`DescribeVolumes ${id}`, ctx.signal, (o) =>
    ctx.client.send(new DescribeVolumesCommand({ VolumeIds: [id] }), o),
  );
  const found = answer.Volumes?.find((v) => v.VolumeId === id);
  if (found === undefined) throw new TendError('invalid_spec', `ec2: volume ${id} does not exist`);
  return found;
}

function holderOf(v: Volume): string | undefined {
  return v.Attachments?.find((a) => a.State === 'attached' || a.State === 'attaching' || a.State === 'busy')
    ?.InstanceId;
}

async function instanceState(ctx: AttachContext, id: string): Promise<string | undefined> {
  try {
    const answer = await ec2Call(`DescribeInstances ${id}`, ctx.signal, (o) =>
      ctx.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }), o),
    );
    return answer.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id)?.State
      ?.Name;
  } catch (error) {
    if (TendError.is(error, 'not_found')) return 'terminated';
    throw error;
  }
}

/**
 * Refuses, before anything is created, to take a volume from an instance that is still alive
 * (a surge replacement of a pet while its predecessor runs): two members must not share one disk.
 */
export async function checkVolumesFree(
  ctx: AttachContext,
  volumes: readonly VolumeAttachment[],
  forInstance?: string,
): Promise<void> {
  for (const wanted of volumes) {
    const holder = holderOf(await volume(ctx, wanted.id));
    if (holder === undefined || holder === forInstance) continue;
    const state = await instanceState(ctx, holder);
    if (state !== undefined && !DEAD_HOLDER_STATES.has(state)) {
      throw new TendError(
        'conflict',
        `ec2: volume ${wanted.id} is attached to instance ${holder}, which is ${state}; a logical ID's volume moves only from a stopped or terminated instance (replace pets in place: maxSurge 0)`,
        { details: { volume: wanted.id, holder, state } },
      );
    }
  }
}

async function waitFor(ctx: AttachContext, what: string, ready: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < ctx.poll.attempts; attempt++) {
    if (await ready()) return;
    await ctx.clock.sleep(ctx.poll.intervalMs, ctx.signal);
  }
  throw new TendError('unavailable', `ec2: gave up waiting for ${what}`);
}

/**
 * Moves each volume to `instanceId`: detaches it from a dead holder (forcing on the last try),
 * waits until it is `available` and the instance can take it, attaches it. Idempotent: a volume
 * already on `instanceId` is left alone, so a retried provision finishes a half-done move.
 */
export async function attachVolumes(
  ctx: AttachContext,
  instanceId: string,
  volumes: readonly VolumeAttachment[],
): Promise<void> {
  if (volumes.length === 0) return;
  // AttachVolume refuses a `pending` instance; EC2 takes a minute to boot one.
  await waitFor(ctx, `instance ${instanceId} to be running`, async () => {
    const state = await instanceState(ctx, instanceId);
    if (state === 'terminated' || state === 'shutting-down') {
      throw new TendError(
        'unavailable',
        `ec2: instance ${instanceId} went away before its volumes were attached`,
      );
    }
    return state === 'running' || state === 'stopped';
  });
  await checkVolumesFree(ctx, volumes, instanceId);
  for (const wanted of volumes) {
    let current = await volume(ctx, wanted.id);
    const holder = holderOf(current);
    if (holder === instanceId) continue;
    if (holder !== undefined) {
      ctx.logger.info('volume detached from dead member', {
        volume: wanted.id,
        from: holder,
        to: instanceId,
      });
      await ec2Call(`DetachVolume ${wanted.id}`, ctx.signal, (o) =>
        ctx.client.send(new DetachVolumeCommand({ VolumeId: wanted.id, InstanceId: holder }), o),
      ).catch((error: unknown) => {
        // Already on its way off (the holder's termination detaches it too).
        if (!TendError.is(error, 'conflict')) throw error;
      });
    }
    let tries = 0;
    await waitFor(ctx, `volume ${wanted.id} to be available`, async () => {
      current = await volume(ctx, wanted.id);
      if (current.State === 'available') return true;
      const stuck = holderOf(current);
      // A detach can hang on a dead instance's busy device: force it once, near the end.
      if (stuck !== undefined && ++tries === Math.ceil(ctx.poll.attempts / 2)) {
        await ec2Call(`DetachVolume ${wanted.id} (forced)`, ctx.signal, (o) =>
          ctx.client.send(
            new DetachVolumeCommand({ VolumeId: wanted.id, InstanceId: stuck, Force: true }),
            o,
          ),
        ).catch(() => undefined);
      }
      return false;
    });
    await ec2Call(`AttachVolume ${wanted.id} to ${instanceId}`, ctx.signal, (o) =>
      ctx.client.send(
        new AttachVolumeCommand({ VolumeId: wanted.id, InstanceId: instanceId, Device: wanted.device }),
        o,
      ),
    );
    ctx.logger.info('volume attached', { volume: wanted.id, instance: instanceId, device: wanted.device });
  }
}
