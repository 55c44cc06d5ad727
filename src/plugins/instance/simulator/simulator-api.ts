import type { Health, InstanceId, InstancePlugin } from '../../../spi/index.js';
import type { SimulatedInstance } from './fleet.js';
import type { SimulatorCallKind, SimulatorFaults } from './simulator-options.js';

export interface SimulatorStats {
  /** Calls by kind and outcome; a lost response counts as an error (that is what the caller saw). */
  calls: Record<SimulatorCallKind, { ok: number; throttled: number; error: number }>;
  created: number;
  destroyed: number;
  vanished: number;
  turnedUnhealthy: number;
}

export type SimulatorPlugin = InstancePlugin &
  Required<Pick<InstancePlugin, 'watch' | 'close'>> & {
    /** Changes some faults from now on (e.g. `{ provisionFailureRate: 0 }`: "the outage is over"). */
    setFaults(faults: Partial<SimulatorFaults>): void;
    faults(): SimulatorFaults;
    /** Copies of every live instance, oldest first. */
    instances(): SimulatedInstance[];
    /** The health the simulator gave an instance; `unknown` when it does not exist. */
    simulatedHealth(id: InstanceId): Health;
    /** Sets an instance's health directly (tests that need one specific sick instance). */
    setHealth(id: InstanceId, health: Health): void;
    /**
     * The instance is lost, as if its machine died: it is removed, and watchers hear `gone`
     * unless `silent` (a loss only a describe notices). False when there was no such instance.
     */
    vanish(id: InstanceId, options?: { silent?: boolean }): boolean;
    stats(): SimulatorStats;
    /** Applies the time faults due by `clock.now()` (calls do this on their own). */
    tick(): void;
  };
