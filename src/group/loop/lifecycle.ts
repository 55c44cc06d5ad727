import { TendError } from '../../spi/index.js';

export type ControllerState = 'created' | 'running' | 'stopping' | 'stopped' | 'failed';

const legal: Readonly<Record<ControllerState, readonly ControllerState[]>> = {
  created: ['running', 'stopping', 'stopped'],
  running: ['stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

/** The controller's lifecycle, Temporal-worker style: an illegal transition is a bug, so it throws. */
export interface Lifecycle {
  readonly state: ControllerState;
  to(next: ControllerState): void;
}

export function createLifecycle(): Lifecycle {
  let state: ControllerState = 'created';
  return {
    get state() {
      return state;
    },
    to(next) {
      if (!legal[state].includes(next)) {
        throw new TendError('conflict', `group controller cannot go from ${state} to ${next}`, {
          details: { from: state, to: next },
        });
      }
      state = next;
    },
  };
}
