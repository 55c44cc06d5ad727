import type { GroupSpec } from '../../spi/index.js';

/**
 * When an instance has proved itself. Until then its death is a failed replacement for the
 * breaker, however it died: healed away, or gone by itself (a crash loop's instances exit on
 * their own, every provision "succeeds", and a flavor like `vanilla` calls every existing
 * instance healthy, so neither errors nor health alone reveal the loop — only lifetimes do).
 */
export interface Stability {
  /** The instance is past its boot window: the user's `grace`. */
  graceMs: number;
  /**
   * And has been up this long with no `unhealthy` report: `healthyFor`, at least STABLE_FLOOR_MS.
   * `unknown` is not unhealthy (ARCHITECTURE §5): with a flavor that cannot tell, the lifetime
   * alone decides, so a veteran's death does not count there either.
   */
  upMs: number;
}

/**
 * `healthyFor` is the user's own measure of "this instance works" (a rollout counts an instance
 * from then on), and `grace` is how long booting may take; an instance that dies within either
 * never came up. The floor keeps a `healthyFor: 0` from turning one healthy look into proof: with
 * `vanilla`, a process that lives two seconds would be proof, and the loop would be endless.
 */
export const STABLE_FLOOR_MS = 10_000;

/**
 * A platform's describe may lag its provision (eventually consistent cloud APIs): an instance
 * Tend created that no describe lists yet is not taken as gone at once. It is once the watch says
 * `gone`, or once no describe has listed it this long after its creation.
 */
export const APPEAR_WITHIN_MS = 10_000;

export function stabilityOf(spec: GroupSpec): Stability {
  return {
    graceMs: spec.health.graceMs,
    upMs: Math.max(spec.update.healthyForMs, STABLE_FLOOR_MS),
  };
}

/** What the tracker keeps per instance to judge its stability and its departure. */
export interface StabilityRecord {
  /** When the platform created it (when known), else when Tend created (`created`) or first saw it. */
  firstSeen: number;
  /**
   * This leader created it, so an early death says something about the spec. Never set from the
   * platform's creation time: an instance a previous leader made may be young, but whether it
   * already failed once is unknown here, and counting it would open the breaker on hearsay.
   */
  created: boolean;
  /** Some describe has listed it. */
  seen: boolean;
  /** Proved itself; sticky, so a veteran that dies later is ordinary wear. */
  stable: boolean;
  /** The plugin's watch reported it gone. */
  gone: boolean;
}

/** Whether the instance is stable now, given the start of its current streak without an unhealthy report. */
export function settle(
  record: StabilityRecord,
  upSince: number | undefined,
  now: number,
  stability: Stability,
): boolean {
  if (record.stable) return true;
  if (upSince === undefined) return false;
  return now - record.firstSeen >= stability.graceMs && now - upSince >= stability.upMs;
}

/**
 * An instance no longer listed: `early` if it is a failed replacement (Tend made it, it never
 * proved itself), `pending` if it may only not be listed yet, `forget` otherwise.
 */
export function departure(record: StabilityRecord, now: number): 'early' | 'pending' | 'forget' {
  if (!record.created || record.stable) return 'forget';
  if (record.seen || record.gone) return 'early';
  return now - record.firstSeen >= APPEAR_WITHIN_MS ? 'early' : 'pending';
}
