import {
  INFRAKIT_TAG_CONFIG,
  INFRAKIT_TAG_GROUP,
  type InstanceDescription,
  TAG_CONFIG,
  TAG_GROUP,
  TAG_LOGICAL,
  type Tags,
  toTendError,
} from '../../spi/index.js';
import { callProvider, type ExecutorContext } from './executor.js';

/**
 * Adopting what InfraKit made (issue #16 item 3). InfraKit's group plugin tags its members
 * `infrakit.group=<id>` and `infrakit.config_sha=<InfraKit's hash of the instance and flavor
 * sections>`; Tend's group of the same ID counts them as members. One whose `config_sha` is the
 * one InfraKit would compute for Tend's spec (`infraKitConfigSha`) runs Tend's target config:
 * nothing is created or destroyed for it. Any other `config_sha` is an old config and is rolled
 * like any other. Each adopted member is then labelled with Tend's tags, so later looks find it by
 * `tend.group` like an instance Tend made.
 */
export interface InfraKitTarget {
  /** What InfraKit would tag an instance of the target spec with. */
  sha: string;
  /** Tend's config hash of the same spec. */
  config: string;
}

/** The tags an InfraKit look asks for. */
export function infraKitLookTags(group: string): Tags {
  return { [INFRAKIT_TAG_GROUP]: group };
}

/** Made by InfraKit and not yet labelled by Tend. */
export function needsAdoption(d: InstanceDescription): boolean {
  return d.tags[TAG_GROUP] === undefined && d.tags[INFRAKIT_TAG_GROUP] !== undefined;
}

/** The description as the planner should read it: an equivalent InfraKit config is the target. */
export function readInfraKitConfig(d: InstanceDescription, target: InfraKitTarget): InstanceDescription {
  if (d.tags[TAG_CONFIG] !== undefined || d.tags[INFRAKIT_TAG_CONFIG] !== target.sha) return d;
  return { ...d, tags: { ...d.tags, [TAG_CONFIG]: target.config } };
}

/**
 * Tend's tags for an adopted member: its group, its logical ID, and the config only when it is
 * the target's (an old config keeps being read from `infrakit.config_sha` until it is rolled).
 */
export function adoptionLabels(d: InstanceDescription, group: string, target: InfraKitTarget): Tags {
  const labels: Record<string, string> = { [TAG_GROUP]: group };
  if (d.tags[INFRAKIT_TAG_CONFIG] === target.sha) labels[TAG_CONFIG] = target.config;
  if (d.logicalId !== undefined && d.tags[TAG_LOGICAL] === undefined) labels[TAG_LOGICAL] = d.logicalId;
  return labels;
}

/**
 * Labels InfraKit's members with Tend's tags, so later looks find them by `tend.group`. True when
 * every one was labelled. A failure is only logged: the member is still counted (found by
 * `infrakit.group`), and the label is tried again next tick.
 */
export async function labelInfraKitMembers(
  ctx: ExecutorContext,
  target: InfraKitTarget,
  answer: readonly InstanceDescription[],
): Promise<boolean> {
  const group = ctx.spec.id;
  let all = true;
  for (const d of answer.filter(needsAdoption)) {
    const labels = adoptionLabels(d, group, target);
    try {
      await callProvider(ctx, 'label', () =>
        ctx.instancePlugin.label(d.id, labels, { signal: ctx.signal, epoch: ctx.epoch }),
      );
      const sameConfig = labels[TAG_CONFIG] !== undefined;
      ctx.logger.info('instance adopted from InfraKit', { group, instance: d.id, sameConfig });
    } catch (error) {
      const failure = toTendError(error);
      if (failure.kind === 'fenced') ctx.onFenced?.(failure);
      if (ctx.signal.aborted || failure.kind === 'fenced') return false;
      ctx.logger.warn('labelling an InfraKit instance failed', {
        group,
        instance: d.id,
        error: failure.message,
      });
      all = false;
    }
  }
  return all;
}
