import { MemoryStore } from './memory-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, reopen: async () => store.sibling() };
});
