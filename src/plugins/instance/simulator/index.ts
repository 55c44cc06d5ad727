// The `simulator` instance plugin: an in-memory cloud with latency, EC2-like throttling and fault
// injection, deterministic by seed — for tests, benchmarks and `plan --simulate`.
export { type SimulatedInstance, simulatedHealthOf } from './fleet.js';
export type { SimulatorPlugin, SimulatorStats } from './simulator-api.js';
export {
  defaultRateLimits,
  noFaults,
  type RateLimit,
  type SimulatorCallKind,
  type SimulatorFaults,
  type SimulatorOptions,
} from './simulator-options.js';
export { createSimulatorPlugin } from './simulator-plugin.js';
