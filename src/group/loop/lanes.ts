import type { GroupSpec } from '../../spi/index.js';
import { parseOpKey } from '../plan/helpers.js';
import type { DestroyAction, ProvisionAction } from '../plan/types.js';
import type { LimiterLane } from './limiter.js';

/**
 * The limiter lane of an action: remediation (`heal`) before rollouts and scaling (`change`)
 * when the plugin's bucket is short. A `missing` provision is a replacement when its key's
 * generation is above 0 (the slot had an instance that went away); generation 0 is growth.
 */
export function laneOf(spec: GroupSpec, action: ProvisionAction | DestroyAction): LimiterLane {
  if (action.type === 'destroy')
    return action.reason === 'heal' || action.reason === 'duplicate' ? 'heal' : 'change';
  if (action.reason === 'heal') return 'heal';
  if (action.reason === 'rollout') return 'change';
  const generation = parseOpKey(spec.id, action.config, action.key)?.generation ?? 0;
  return generation > 0 ? 'heal' : 'change';
}
