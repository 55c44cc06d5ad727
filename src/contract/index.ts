// Shared contract suites every plugin implementation must pass: `verify*` returns named results
// (for `tend plugin verify`), `run*` registers the same checks as node:test tests.
import type { FlavorPlugin, InstancePlugin } from '../spi/index.js';
import { type ContractCheckResult, registerChecks, verifyChecks } from './check.js';
import { type FlavorContractOptions, flavorChecks } from './flavor-checks.js';
import { instanceChecks } from './instance-checks.js';
import type { InstanceContractOptions } from './instance-scope.js';

export type { ContractCheckResult } from './check.js';
export type { FlavorContractOptions } from './flavor-checks.js';
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
