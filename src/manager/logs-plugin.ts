import {
  type ConfigStore,
  type GroupId,
  type GroupStatus,
  type InstanceId,
  type InstancePlugin,
  type PluginResolver,
  TendError,
} from '../spi/index.js';
import type { EventQuery, SequencedEvent } from './event-ring.js';
import { specFromRevision } from './spec-codec.js';

/** What finding the plugin that keeps an instance's logs needs of the manager. */
export interface LogsSource {
  store: ConfigStore;
  resolver: PluginResolver;
  /** The group's live status on this manager, if it runs it. */
  status(group: GroupId): GroupStatus | undefined;
  events(query: EventQuery): SequencedEvent[];
}

/**
 * The instance plugin of the group `instance` belongs to. A destroyed group's last spec still
 * names its plugin, so the kept logs of its instances stay readable. An instance the group never
 * had (not in its status, no event of it) is `not_found`: the route reads only logs it can place.
 */
export async function pluginForInstance(
  source: LogsSource,
  group: GroupId,
  instance: InstanceId,
): Promise<InstancePlugin> {
  const history = await source.store.history(group);
  const last = [...history].reverse().find((revision) => revision.deleted !== true);
  if (last === undefined) throw new TendError('not_found', `no group ${group}`);
  const listed = source.status(group)?.instances.some((i) => i.id === instance) === true;
  if (!listed && source.events({ group, instance, limit: 1 }).length === 0) {
    throw new TendError('not_found', `group ${group} has no instance ${instance}`);
  }
  const spec = specFromRevision(last);
  const plugin = await source.resolver.instance(spec.instance.plugin);
  if (plugin.logs === undefined) {
    throw new TendError(
      'not_found',
      `instance plugin ${spec.instance.plugin} keeps no logs (it does not offer Instance.Logs)`,
    );
  }
  return plugin;
}
