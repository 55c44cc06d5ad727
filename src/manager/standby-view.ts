import type { ConfigStore, GroupStatus } from '../spi/index.js';
import { damagedStatus, unobservedStatus } from './damaged-groups.js';
import { desiredCount } from './plan-preview.js';
import { specFromRevision } from './spec-codec.js';

/**
 * What a standby can say about the groups without a leader to ask: what was declared, nothing
 * observed. The phase is `blind` because nobody is looking at the infrastructure.
 */
export async function standbyStatus(store: ConfigStore): Promise<GroupStatus[]> {
  const revisions = await store.list();
  const damaged = (await store.listDamaged()).map((d) => damagedStatus(d.groupId, d.problem));
  return revisions
    .map((revision): GroupStatus => {
      const spec = specFromRevision(revision);
      return unobservedStatus(spec.id, {
        phase: 'blind',
        desired: desiredCount(spec.allocation),
        config: '',
        lastError: 'no leader is running this group',
      });
    })
    .concat(damaged)
    .sort((a, b) => a.id.localeCompare(b.id));
}
