import { runStoreContract } from '../../test/support/contract/store-contract.js';
import { MemoryStore } from './memory-store.js';

runStoreContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, reopen: async () => store.sibling() };
});
