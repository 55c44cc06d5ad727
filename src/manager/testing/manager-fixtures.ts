// Fakes for the manager's tests: controllers that record what they were told, plugins that
// validate a `bad` property, and a leadership whose terms the test ends by hand.
import { desiredCount, type GroupController, type GroupControllerOptions } from '../../group/index.js';
import {
  type FlavorPlugin,
  type GroupSpec,
  type GroupStatus,
  type InstancePlugin,
  instanceId,
  type LeaderInfo,
  type Leadership,
  type LeaderTerm,
  type PluginResolver,
  summaryOf,
  TendError,
} from '../../spi/index.js';

export interface FakeController extends GroupController {
  readonly options: GroupControllerOptions;
  readonly calls: string[];
  spec: GroupSpec;
}

export function fakeControllers(): {
  create: (options: GroupControllerOptions) => GroupController;
  all: FakeController[];
  latest: (id: string) => FakeController | undefined;
} {
  const all: FakeController[] = [];
  const create = (options: GroupControllerOptions): GroupController => {
    let paused = false;
    const calls: string[] = [];
    const controller: FakeController = {
      options,
      calls,
      spec: options.spec,
      state: 'running',
      start: () => calls.push('start'),
      stop: async () => {
        calls.push('stop');
      },
      update: (spec) => {
        calls.push(`update:${desiredCount(spec)}`);
        controller.spec = spec;
      },
      pause: () => {
        paused = true;
        calls.push('pause');
      },
      resume: () => {
        paused = false;
        calls.push('resume');
      },
      status: () => fakeStatus(controller.spec, paused),
      summary: () => summaryOf(fakeStatus(controller.spec, paused)),
      instances: () => fakeStatus(controller.spec, paused).instances,
      instance: (id) => fakeStatus(controller.spec, paused).instances.find((i) => i.id === id),
      tick: async () => {},
      destroyAll: async () => {
        calls.push('destroyAll');
      },
      // As the real one: the instances are recorded, the size is committed, then they go.
      destroyInstances: async (ids, destroyOptions = {}) => {
        calls.push(`destroyInstances:${ids.join(',')}`);
        await destroyOptions.recorded?.();
        for (const id of ids) await options.instancePlugin.destroy(id, { reason: 'terminate' }, {});
      },
    };
    all.push(controller);
    return controller;
  };
  return { create, all, latest: (id) => all.filter((c) => c.spec.id === id).at(-1) };
}

function fakeStatus(spec: GroupSpec, paused: boolean): GroupStatus {
  const desired = desiredCount(spec);
  const instances = Array.from({ length: desired }, (_, i) => ({
    id: instanceId(`${spec.id}-${i}`),
    config: 'c1',
    health: 'healthy' as const,
    tags: {},
  }));
  return {
    id: spec.id,
    phase: paused ? 'paused' : 'converged',
    desired,
    observed: desired,
    healthy: desired,
    config: 'c1',
    byConfig: { c1: desired },
    instances,
    breaker: { open: false, consecutiveFailures: 0 },
    paused,
  };
}

/** Built-in names `fake` (instance) and `plain` (flavor); a `bad: true` property is refused. */
export function fakeResolver(): PluginResolver & { destroyed: string[] } {
  const destroyed: string[] = [];
  const refuseBad = async (properties: unknown) => {
    if (typeof properties === 'object' && properties !== null && 'bad' in properties) {
      throw new TendError('invalid_spec', 'bad: not allowed here');
    }
  };
  const instance: InstancePlugin = {
    validate: refuseBad,
    provision: async () => instanceId('x'),
    label: async () => {},
    destroy: async (id) => {
      destroyed.push(id);
    },
    describeInstances: async () => [],
  };
  const flavor: FlavorPlugin = {
    validate: refuseBad,
    prepare: async (_p, spec) => spec,
    healthy: async () => 'healthy',
    drain: async () => {},
  };
  return {
    destroyed,
    instance: async (name) => {
      if (name !== 'fake') throw new TendError('not_found', `no instance plugin ${name}`);
      return instance;
    },
    flavor: async (name) => {
      if (name !== 'plain') throw new TendError('not_found', `no flavor plugin ${name}`);
      return flavor;
    },
  };
}

/** A leadership the test drives: `grant(epoch)` makes the pending campaign win; `revoke()` ends it. */
export class ManualLeadership implements Leadership {
  info: LeaderInfo | undefined;
  private waiting: ((term: LeaderTerm) => void) | undefined;
  private current: AbortController | undefined;
  private readonly self: { name: string; address: string };

  constructor(self: { name: string; address: string }) {
    this.self = self;
  }

  /** How many times the manager campaigned. */
  campaigns = 0;

  campaign(options: { signal?: AbortSignal } = {}): Promise<LeaderTerm> {
    this.campaigns += 1;
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      options.signal?.addEventListener(
        'abort',
        () => reject(new TendError('timeout', 'campaign cancelled')),
        {
          once: true,
        },
      );
    });
  }

  grant(epoch: number): void {
    const abort = new AbortController();
    this.current = abort;
    this.info = { ...this.self, epoch };
    this.waiting?.({ epoch, signal: abort.signal, resign: async () => abort.abort() });
    this.waiting = undefined;
  }

  revoke(): void {
    this.current?.abort(new TendError('not_leader', 'lease lost'));
  }

  async leader(): Promise<LeaderInfo | undefined> {
    return this.info;
  }

  async close(): Promise<void> {}
}

export const sampleSpec = (id: string, size: number, extra = ''): string => `
groups:
  - id: ${id}
    allocation: { size: ${size} }
    instance: { plugin: fake, properties: { image: a${extra} } }
    flavor: { plugin: plain, properties: { init: ["echo hi"] } }
`;
