import { createLifecycle, type Lifecycle, type LifecycleState, type Transitions } from '../../lib/index.js';

export type ControllerState = LifecycleState;

const legal: Transitions = {
  created: ['running', 'stopping', 'stopped'],
  running: ['stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

/** A group controller's lifecycle: once stopped or failed it is never started again. */
export function controllerLifecycle(): Lifecycle {
  return createLifecycle('group controller', legal);
}
