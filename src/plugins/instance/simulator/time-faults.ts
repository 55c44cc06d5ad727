import type { Random } from '../../../lib/index.js';
import type { Fleet, SimulatedInstance } from './fleet.js';

export interface TimeFaultOutcome {
  vanished: SimulatedInstance[];
  turnedUnhealthy: number;
}

/**
 * Applies `ticks` elapsed ticks of the time faults to every instance, oldest first. One draw per
 * instance per fault covers all of them: P(at least once in n ticks) = 1 − (1 − p)^n, so a long
 * jump of the clock costs as much as a short one.
 */
export function applyTimeFaults(options: {
  fleet: Fleet;
  ticks: number;
  vanishRate: number;
  unhealthyRate: number;
  random: Random;
}): TimeFaultOutcome {
  const { fleet, ticks, vanishRate, unhealthyRate, random } = options;
  const outcome: TimeFaultOutcome = { vanished: [], turnedUnhealthy: 0 };
  if (ticks <= 0 || (vanishRate === 0 && unhealthyRate === 0)) return outcome;
  const pVanish = 1 - (1 - vanishRate) ** ticks;
  const pUnhealthy = 1 - (1 - unhealthyRate) ** ticks;
  for (const instance of fleet.values()) {
    if (random() < pVanish) {
      fleet.remove(instance.id);
      outcome.vanished.push(instance);
    } else if (random() < pUnhealthy && instance.health === 'healthy') {
      instance.health = 'unhealthy';
      outcome.turnedUnhealthy++;
    }
  }
  return outcome;
}

/**
 * EC2-looking IDs (`i-` and 17 hex digits) drawn from `random`, never one live or recently
 * retired (`issued`); the memory of retired IDs is bounded, so it does not grow with churn.
 */
export function newInstanceId(random: Random, issued: (id: string) => boolean): string {
  for (;;) {
    let hex = '';
    for (let i = 0; i < 17; i++) hex += Math.floor(random() * 16).toString(16);
    const id = `i-${hex}`;
    if (!issued(id)) return id;
  }
}
