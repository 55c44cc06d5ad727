// The plugin contract checks of src/contract as node:test suites: one test per check, a fresh
// plugin per test. Test code only; `tend plugin verify` runs the same checks without node:test.
import { describe, it } from 'node:test';
import {
  type ContractCheck,
  type FlavorContractOptions,
  flavorChecks,
  type InstanceContractOptions,
  instanceChecks,
  runCheck,
} from '../../../src/contract/index.js';
import type { FlavorPlugin, InstancePlugin } from '../../../src/spi/index.js';

/** Registers one node:test test per check; each test gets a fresh plugin from `create`. */
function registerChecks<P>(
  suite: string,
  checks: readonly ContractCheck<P>[],
  create: () => Promise<{ plugin: P; cleanup?: () => Promise<void> }>,
): void {
  describe(suite, () => {
    for (const check of checks) {
      it(check.name, async (t) => {
        const { plugin, cleanup } = await create();
        try {
          const { result, error } = await runCheck(check, plugin);
          if (result.skipped === true) t.skip(result.error);
          // Tend's own plugins pass outright: a note (kind not sent, tend.op ignored) fails here.
          else if (!result.ok || result.noted === true) throw error;
        } finally {
          await cleanup?.();
        }
      });
    }
  });
}

/** Registers a node:test suite `name` with one test per instance check; `create` runs per test. */
export function runInstancePluginContract(
  name: string,
  create: () => Promise<{ plugin: InstancePlugin; cleanup?: () => Promise<void> }>,
  options: InstanceContractOptions = {},
): void {
  registerChecks(`instance plugin contract: ${name}`, instanceChecks(options), create);
}

/** Registers a node:test suite `name` with one test per flavor check; `create` runs per test. */
export function runFlavorPluginContract(
  name: string,
  create: () => Promise<{ plugin: FlavorPlugin; cleanup?: () => Promise<void> }>,
  options: FlavorContractOptions = {},
): void {
  registerChecks(`flavor plugin contract: ${name}`, flavorChecks(options), create);
}

/** A contract cleanup: destroys every instance the plugin still describes, then closes it. */
export async function destroyAllAndClose(plugin: InstancePlugin): Promise<void> {
  for (const found of await plugin.describeInstances({})) {
    await plugin.destroy(found.id, { reason: 'terminate' });
  }
  await plugin.close?.();
}

/** The instance contract's options for the `process` plugin, in process or over a socket. */
export const PROCESS_CONTRACT_OPTIONS: InstanceContractOptions = {
  init: 'exec sleep 300',
  properties: { env: { TEND_CONTRACT: '1' } },
  invalidProperties: { env: { TEND_CONTRACT: 1 }, bogus: true },
};
