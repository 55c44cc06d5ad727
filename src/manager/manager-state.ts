import { TendError } from '../spi/index.js';

export type ManagerState = 'initialized' | 'running' | 'stopping' | 'stopped' | 'failed';

const transitions: Record<ManagerState, readonly ManagerState[]> = {
  initialized: ['running', 'stopping'],
  running: ['stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: ['stopping'],
};

/** The next state, or a `conflict` error when the lifecycle does not allow the step. */
export function nextState(current: ManagerState, next: ManagerState): ManagerState {
  if (!transitions[current].includes(next)) {
    throw new TendError('conflict', `manager cannot go from ${current} to ${next}`);
  }
  return next;
}
