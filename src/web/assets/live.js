// The instance table follows the same events as the timeline: a created, destroyed, vanished,
// unhealthy or replaced event changes the row at once, and the next status (within a second)
// brings the rest (config, tags, health checks). Before, the table waited for that status.

const GONE = new Set(['destroyed', 'vanished']);

/** Applies one event to the group's instance list in place; true when something changed. */
export function applyEvent(group, event) {
  if (!group || event.groupId !== group.id || typeof event.instanceId !== 'string') return false;
  const instances = Array.isArray(group.instances) ? [...group.instances] : [];
  const at = instances.findIndex((i) => i.id === event.instanceId);
  let changed = false;
  if (event.type === 'created' && at === -1) {
    instances.push({
      id: event.instanceId,
      ...(typeof event.data?.logicalId === 'string' ? { logicalId: event.data.logicalId } : {}),
      config: typeof event.data?.config === 'string' ? event.data.config : undefined,
      health: 'unknown',
      createdAt: event.at,
      tags: {},
    });
    changed = true;
  } else if (GONE.has(event.type) && at !== -1) {
    instances.splice(at, 1);
    changed = true;
  } else if (event.type === 'unhealthy' && at !== -1 && instances[at].health !== 'unhealthy') {
    instances[at] = { ...instances[at], health: 'unhealthy' };
    changed = true;
  }
  const replaced = event.type === 'replaced' ? event.data?.replaced : undefined;
  if (typeof replaced === 'string') {
    const old = instances.findIndex((i) => i.id === replaced);
    if (old !== -1) {
      instances.splice(old, 1);
      changed = true;
    }
  }
  if (changed) group.instances = instances;
  return changed;
}

/**
 * What the page saw of each instance's health, newest last: the changes between statuses plus
 * the instance's own events. Bounded per instance and in instances kept.
 */
const MAX_ENTRIES = 50;
const MAX_INSTANCES = 2000;

export class HealthLog {
  constructor() {
    this.byInstance = new Map();
  }

  note(id, health, at, why) {
    let list = this.byInstance.get(id);
    if (list === undefined) {
      if (this.byInstance.size >= MAX_INSTANCES) this.byInstance.delete(this.byInstance.keys().next().value);
      list = [];
      this.byInstance.set(id, list);
    }
    if (list.at(-1)?.health === health) return;
    list.push({ health, at, why });
    if (list.length > MAX_ENTRIES) list.splice(0, list.length - MAX_ENTRIES);
  }

  fromStatus(groups, at) {
    for (const group of groups)
      for (const i of group.instances ?? []) this.note(i.id, i.health, at, 'status');
  }

  fromEvent(event) {
    if (typeof event.instanceId !== 'string') return;
    if (event.type === 'created') this.note(event.instanceId, 'unknown', event.at, 'created');
    if (event.type === 'unhealthy') this.note(event.instanceId, 'unhealthy', event.at, event.message);
    if (GONE.has(event.type)) this.note(event.instanceId, event.type, event.at, event.message);
  }

  of(id) {
    return this.byInstance.get(id) ?? [];
  }
}
