// The group controller: a pure planner (observed + spec → actions), the reconcile loop around it
// with journaling, rate limits and a circuit breaker, and the group spec parser (spec/).

export { createGroupController } from './controller.js';
export type {
  ControllerJournal,
  GroupController,
  GroupControllerOptions,
  RollbackNotice,
} from './controller-api.js';
export {
  createDescribeCoalescer,
  type DescribeCoalescer,
  type DescribeCoalescerOptions,
  type DescribeCoalescerStats,
  type Describer,
  directDescriber,
} from './describe-coalescer.js';
export type { ControllerState } from './lifecycle.js';
export {
  createPluginLimiter,
  DEFAULT_PLUGIN_LIMITS,
  type LimiterLane,
  type LimiterStats,
  type PluginLimiter,
  type PluginLimiterOptions,
  type PluginLimits,
} from './limiter.js';
export { type MemoryJournal, memoryJournal } from './memory-journal.js';
export { plan } from './plan.js';
export { opKey, parseOpKey } from './plan-helpers.js';
export {
  applyTransitions,
  initialPlannerState,
  parsePlannerState,
  plannerStateToJson,
} from './plan-state.js';
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
} from './plan-types.js';
export * from './spec/index.js';
