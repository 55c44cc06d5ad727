import type { Intent, JsonValue } from '../../spi/index.js';
import type { ControllerJournal } from './controller-api.js';

/** The in-memory journal for tests; hand the same one to a second controller to play failover. */
export interface MemoryJournal extends ControllerJournal {
  /** Open intents right now (a copy). */
  intents(): Intent[];
  /** The last saved state, if any. */
  state(): JsonValue | undefined;
  /** Every intent ever written, in order (for asserting write-before-call). */
  readonly history: readonly Intent[];
}

export function memoryJournal(
  initial: { intents?: readonly Intent[]; state?: JsonValue } = {},
): MemoryJournal {
  const open = new Map<string, Intent>((initial.intents ?? []).map((i) => [i.key, i]));
  const history: Intent[] = [];
  let saved = initial.state === undefined ? undefined : structuredClone(initial.state);
  return {
    putIntent: async (intent) => {
      open.set(intent.key, intent);
      history.push(intent);
    },
    clearIntent: async (key) => {
      open.delete(key);
    },
    listIntents: async () => [...open.values()],
    saveState: async (state) => {
      saved = structuredClone(state);
    },
    loadState: async () => (saved === undefined ? undefined : structuredClone(saved)),
    intents: () => [...open.values()],
    state: () => saved,
    history,
  };
}
