import { createLifecycle, type Lifecycle, type LifecycleState, type Transitions } from '../lib/index.js';

export type ManagerState = LifecycleState;

const transitions: Transitions = {
  created: ['running', 'stopping'],
  running: ['stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  // A manager that failed is still stopped on the way out, to release what it holds.
  failed: ['stopping'],
};

export function managerLifecycle(): Lifecycle {
  return createLifecycle('manager', transitions);
}
