// Shared set-up for controller tests: a virtual clock, fake plugins, a journal, recorded events.
import { VirtualClock } from '../../lib/index.js';
import type { GroupEvent, GroupSpec } from '../../spi/index.js';
import { createGroupController } from '../loop/controller.js';
import type { GroupControllerOptions } from '../loop/controller-api.js';
import { createPluginLimiter } from '../loop/limiter.js';
import { memoryJournal } from '../loop/memory-journal.js';
import { fakeCloud, fakeFlavor } from './fake-plugins.js';
import { testSpec } from './plan-fixtures.js';

export function kit(spec: GroupSpec = testSpec({ size: 3 }), extra: Partial<GroupControllerOptions> = {}) {
  const clock = new VirtualClock({ start: 1_000_000 });
  const cloud = fakeCloud({ clock });
  const flavor = fakeFlavor();
  const journal = memoryJournal();
  const events: GroupEvent[] = [];
  const limiter = createPluginLimiter({ ratePerSec: 10_000, burst: 10_000, concurrency: 100, clock });
  const make = (overrides: Partial<GroupControllerOptions> = {}) =>
    createGroupController({
      spec,
      instancePlugin: cloud,
      flavorPlugin: flavor,
      journal,
      epoch: 7,
      clock,
      limiter,
      random: () => 0.5,
      onEvent: (e) => events.push(e),
      ...extra,
      ...overrides,
    });
  const types = () => events.map((e) => e.type);
  return { clock, cloud, flavor, journal, events, types, make, controller: make() };
}
