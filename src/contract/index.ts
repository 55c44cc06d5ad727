// Shared contract checks every plugin implementation must pass: `verify*` returns named results
// (for `tend plugin verify`); test/support/contract/plugin-contract.ts registers the same checks
// as node:test tests, so the product never loads node:test.
import type { FlavorPlugin, InstancePlugin } from '../spi/index.js';
import { type ContractCheckResult, verifyChecks } from './check.js';
import { type FlavorContractOptions, flavorChecks } from './flavor-checks.js';
import { instanceChecks } from './instance-checks.js';
import type { InstanceContractOptions } from './instance-scope.js';

export {
  type CheckRun,
  type CheckSkip,
  type ContractCheck,
  type ContractCheckResult,
  ContractNote,
  runCheck,
} from './check.js';
export { type FlavorContractOptions, flavorChecks } from './flavor-checks.js';
export { instanceChecks } from './instance-checks.js';
export type { InstanceContractOptions } from './instance-scope.js';

/**
 * Runs every instance check against `plugin`, one after another; never throws. Each check
 * provisions under a group tag of its own and destroys what it created.
 */
export function verifyInstancePlugin(
  plugin: InstancePlugin,
  options: InstanceContractOptions = {},
): Promise<ContractCheckResult[]> {
  return verifyChecks(instanceChecks(options), plugin);
}

/** Runs every flavor check against `plugin`; never throws. */
export function verifyFlavorPlugin(
  plugin: FlavorPlugin,
  options: FlavorContractOptions = {},
): Promise<ContractCheckResult[]> {
  return verifyChecks(flavorChecks(options), plugin);
}
