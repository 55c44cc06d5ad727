// Small in-memory plugins for controller tests (fakes over mocks). Not exported from index.ts.
import type { Clock } from '../../lib/index.js';
import {
  type FlavorPlugin,
  type Health,
  type InstanceDescription,
  type InstanceEvent,
  type InstanceId,
  type InstancePlugin,
  instanceId,
  TAG_OP,
  TendError,
} from '../../spi/index.js';

export type ProvisionFault =
  | 'fail'
  | 'lose'
  | 'late'
  | 'throttle'
  | 'unavailable'
  | 'timeout'
  | 'invalid'
  | 'exhausted';

/** What each rejecting fault throws; messages are what status should pass on. */
const rejections: Partial<Record<ProvisionFault, () => TendError>> = {
  fail: () => new TendError('internal', 'quota exceeded'),
  throttle: () => new TendError('throttled', 'slow down'),
  unavailable: () => new TendError('unavailable', 'platform unreachable'),
  timeout: () => new TendError('timeout', 'provision timed out'),
  invalid: () => new TendError('invalid_spec', 'image "nope" not found'),
  exhausted: () => new TendError('exhausted', 'no free host matches any host'),
};

export interface FakeCloud extends InstancePlugin {
  instances: Map<InstanceId, InstanceDescription>;
  calls: string[];
  /**
   * Next provisions: 'fail' rejects (`internal`) without creating, 'lose' creates then rejects,
   * 'late' rejects (`timeout`) and the instance appears just after the next describe has answered,
   * 'throttle', 'unavailable', 'timeout', 'exhausted' and 'invalid' (`invalid_spec`) reject with that kind.
   */
  faults: Array<ProvisionFault>;
  describeFails: boolean;
  /** Describe never answers (until aborted). */
  describeHangs: boolean;
  /**
   * Set: every instance provisioned from now on exits by itself this long after its creation —
   * `gone` is emitted and describe no longer lists it (a crash-looping process, a reaped container).
   */
  lifetimeMs: number | undefined;
  /** Set: descriptions carry `createdAt` (the clock's time at provision), as real platforms do. */
  platformTimes: boolean;
  /** Set: a provision never looks for its `tend.op` (an InfraKit plugin): a retry makes another. */
  ignoresOp: boolean;
  emit(event: InstanceEvent): void;
  vanish(id: InstanceId): void;
}

export function fakeCloud(options: { clock?: Clock } = {}): FakeCloud {
  const instances = new Map<InstanceId, InstanceDescription>();
  const listeners = new Set<(event: InstanceEvent) => void>();
  const landing: InstanceDescription[] = [];
  let seq = 0;
  const cloud: FakeCloud = {
    instances,
    calls: [],
    faults: [],
    describeFails: false,
    describeHangs: false,
    lifetimeMs: undefined,
    platformTimes: false,
    ignoresOp: false,
    validate: async () => {},
    async provision(spec) {
      cloud.calls.push(`provision ${spec.tags[TAG_OP]}`);
      const fault = cloud.faults.shift();
      const reject = fault === undefined ? undefined : rejections[fault];
      if (reject !== undefined) throw reject();
      if (fault === 'late') {
        landing.push({ id: instanceId(`i-${++seq}`), tags: spec.tags });
        throw new TendError('timeout', 'provision timed out (the platform goes on)');
      }
      const existing = cloud.ignoresOp
        ? undefined
        : [...instances.values()].find((i) => i.tags[TAG_OP] === spec.tags[TAG_OP]);
      const id = existing?.id ?? instanceId(`i-${++seq}`);
      const description: InstanceDescription = { id, tags: spec.tags };
      if (spec.logicalId !== undefined) description.logicalId = spec.logicalId;
      const createdAt = existing?.createdAt ?? options.clock?.now();
      if (cloud.platformTimes && createdAt !== undefined) description.createdAt = createdAt;
      instances.set(id, description);
      if (cloud.lifetimeMs !== undefined && existing === undefined) exitLater(id, cloud.lifetimeMs);
      if (fault === 'lose') throw new TendError('unavailable', 'response lost');
      return id;
    },
    async label(id, labels) {
      cloud.calls.push(`label ${id}`);
      const found = instances.get(id);
      if (found === undefined) throw new TendError('not_found', `no instance ${id}`);
      instances.set(id, { ...found, tags: { ...found.tags, ...labels } });
    },
    async destroy(id) {
      cloud.calls.push(`destroy ${id}`);
      instances.delete(id);
    },
    async describeInstances(tags, options) {
      cloud.calls.push('describe');
      if (cloud.describeHangs) {
        await new Promise((_, reject) =>
          options?.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
        );
      }
      if (cloud.describeFails) throw new TendError('unavailable', 'describe failed');
      const found = [...instances.values()].filter((i) =>
        Object.entries(tags).every(([k, v]) => i.tags[k] === v),
      );
      for (const late of landing.splice(0)) instances.set(late.id, late);
      return found;
    },
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit: (event) => {
      for (const l of listeners) l(event);
    },
    vanish(id) {
      instances.delete(id);
      cloud.emit({ type: 'gone', id });
    },
  };
  const exitLater = (id: InstanceId, ms: number) => {
    const { clock } = options;
    if (clock === undefined) throw new Error('fakeCloud: lifetimeMs needs a clock');
    void clock.sleep(ms).then(() => {
      if (instances.has(id)) cloud.vanish(id);
    });
  };
  return cloud;
}

export interface FakeFlavor extends FlavorPlugin {
  health: Map<InstanceId, Health>;
  fallback: Health;
  drained: InstanceId[];
}

export function fakeFlavor(fallback: Health = 'healthy'): FakeFlavor {
  const flavor: FakeFlavor = {
    health: new Map(),
    fallback,
    drained: [],
    validate: async () => {},
    prepare: async (_properties, spec) => ({
      ...spec,
      init: 'echo hi',
      tags: { ...spec.tags, role: 'test' },
    }),
    healthy: async (_properties, instance) => flavor.health.get(instance.id) ?? flavor.fallback,
    drain: async (_properties, instance) => {
      flavor.drained.push(instance.id);
    },
  };
  return flavor;
}
