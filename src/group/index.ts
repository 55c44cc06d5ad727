// The group controller: a pure planner (observed + spec → actions), the reconcile loop around it
// with journaling, rate limits and a circuit breaker, and the group spec parser (spec/).

export type { RatePacing } from './loop/adaptive-rate.js';
export { createGroupController } from './loop/controller.js';
export {
  type ControllerJournal,
  DEFAULT_TICK_INTERVAL_MS,
  type DestroyInstancesOptions,
  type GroupController,
  type GroupControllerOptions,
  type RollbackNotice,
} from './loop/controller-api.js';
export {
  ALIGNED_GATHER_MS,
  createDescribeCoalescer,
  type DescribeCoalescer,
  type DescribeCoalescerOptions,
  type DescribeCoalescerStats,
  type Describer,
  directDescriber,
} from './loop/describe-coalescer.js';
export type { ControllerState } from './loop/lifecycle.js';
export {
  createPluginLimiter,
  DEFAULT_PLUGIN_LIMITS,
  type LimiterLane,
  type LimiterStats,
  type PluginLimiter,
  type PluginLimiterOptions,
  type PluginLimits,
} from './loop/limiter.js';
export { type MemoryJournal, memoryJournal } from './loop/memory-journal.js';
export type {
  CallReport,
  ControllerObserver,
  ObservedReport,
  OutcomeReport,
  TickReport,
} from './loop/observer.js';
export { desiredCount, opKey, parseOpKey } from './plan/helpers.js';
export { plan } from './plan/plan.js';
export { type Rehearsal, type RehearsalInput, rehearse } from './plan/rehearse.js';
export {
  applyTransitions,
  initialPlannerState,
  parsePlannerState,
  plannerStateToJson,
} from './plan/state.js';
export {
  type Action,
  type BreakerState,
  DEFAULT_MAX_ACTIONS_PER_TICK,
  type DestroyAction,
  type DestroyReason,
  defaultPlanLimits,
  type ObservedInstance,
  type PlanInput,
  type PlanLimits,
  type PlannerState,
  type ProvisionAction,
  type ProvisionReason,
  type RolloutPhase,
  type RolloutState,
  type TransitionAction,
} from './plan/types.js';
export * from './spec/index.js';
