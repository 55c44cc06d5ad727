import { TendError } from '../spi/index.js';

/** The states of everything Tend starts and stops (a manager, a group's controller): one set of names. */
export type LifecycleState = 'created' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Which states each state may go to; a transition outside it is a bug. */
export type Transitions = Readonly<Record<LifecycleState, readonly LifecycleState[]>>;

/** A lifecycle, Temporal-worker style: an illegal transition is a bug, so it throws `conflict`. */
export interface Lifecycle {
  readonly state: LifecycleState;
  to(next: LifecycleState): void;
}

/** Starts in `created`; `what` names the owner in the error (`group controller`, `manager`). */
export function createLifecycle(what: string, legal: Transitions): Lifecycle {
  let state: LifecycleState = 'created';
  return {
    get state() {
      return state;
    },
    to(next) {
      if (!legal[state].includes(next)) {
        throw new TendError('conflict', `${what} cannot go from ${state} to ${next}`, {
          details: { from: state, to: next },
        });
      }
      state = next;
    },
  };
}
