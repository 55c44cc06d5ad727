import type { GroupView } from '../api/index.js';
import type { GroupStatus } from '../spi/index.js';

// The shapes of the manager's answers live in api/, shared with `ManagerClient` and the HTTP
// server (its request bodies are in api/server/request-bodies.ts); this adds the in-process ones.
export type * from '../api/index.js';

/** `Manager.group()` in process: the spec and the live status with every instance. */
export interface GroupDetail extends GroupView {
  status: GroupStatus | null;
}
