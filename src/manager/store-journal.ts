import type { ControllerJournal } from '../group/index.js';
import { type ConfigStore, type GroupId, TendError } from '../spi/index.js';

export interface StoreJournalOptions {
  store: ConfigStore;
  groupId: GroupId;
  epoch: number;
  /** Called when a write is fenced: this manager is no longer the leader and must stop acting. */
  onFenced: (error: TendError) => void;
}

/**
 * A controller's journal bound to the store, one group and the leader's epoch. Every write carries
 * the epoch, so once a newer leader raised the fence, a deposed leader's controllers fail instead
 * of overwriting its journal.
 */
export function storeJournal(options: StoreJournalOptions): ControllerJournal {
  const { store, groupId, epoch, onFenced } = options;
  const fenced = async <T>(write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (error) {
      if (TendError.is(error, 'fenced')) onFenced(error);
      throw error;
    }
  };
  return {
    putIntent: (intent) => fenced(() => store.putIntent(intent, { epoch })),
    clearIntent: (key) => fenced(() => store.clearIntent(key, { epoch })),
    listIntents: async () => (await store.listIntents()).filter((intent) => intent.groupId === groupId),
    saveState: (state) => fenced(() => store.putGroupState(groupId, state, { epoch })),
    loadState: () => store.getGroupState(groupId),
  };
}
