// Rendering of the dashboard's parts from plain data (a status view, a list of events). Each
// function replaces the children of one container; the controls that hold user input live
// outside these containers so a live update never wipes what the user is typing.
import { badge, clock, EVENT_TONE, h, PHASE_TONE, shortConfig } from './dom.js';

export function renderLeader(element, status) {
  if (!status) {
    element.replaceChildren();
    return;
  }
  const leader = status.leader;
  const parts = [
    h('span', { class: 'label' }, 'Leader'),
    leader ? h('strong', null, leader.name) : badge('none', 'bad'),
    leader ? h('span', { class: 'muted' }, `epoch ${leader.epoch}`) : null,
    status.self && status.self.name !== leader?.name
      ? h('span', { class: 'muted' }, `· via ${status.self.name} (${status.self.role})`)
      : null,
  ];
  element.replaceChildren(...parts.filter((part) => part !== null));
}

/** `stale`: the manager is unreachable or a standby; the last known phase is shown as such. */
export function renderGroups(tbody, groups, selected, onSelect, stale = false) {
  const rows = groups.map((group) =>
    h(
      'tr',
      {
        class: group.id === selected ? 'selected clickable' : 'clickable',
        dataset: { group: group.id },
        onclick: () => onSelect(group.id),
      },
      h('td', null, h('button', { type: 'button', class: 'link mono' }, group.id)),
      h('td', null, phaseBadge(group, stale)),
      h(
        'td',
        { class: 'num counts' },
        h('span', { class: countTone(group), dataset: { testid: 'healthy' } }, group.healthy),
        h('span', { class: 'muted' }, ' / '),
        h('span', { dataset: { testid: 'desired' } }, group.desired),
        group.healthy > group.desired
          ? h(
              'span',
              {
                class: 'badge surge',
                dataset: { testid: 'surge' },
                title: 'More instances than desired, e.g. a rollout surging',
              },
              `surge +${group.healthy - group.desired}`,
            )
          : null,
        group.observed === group.healthy ? null : h('span', { class: 'muted' }, ` (${group.observed} seen)`),
      ),
      h('td', { class: 'hide-narrow' }, configChips(group)),
      h('td', null, rolloutCell(group.rollout)),
      h('td', { class: 'hide-narrow' }, breakerCell(group.breaker)),
    ),
  );
  tbody.replaceChildren(...rows);
  if (rows.length === 0) tbody.append(h('tr', null, h('td', { colspan: 6, class: 'empty' }, 'No groups.')));
}

function phaseBadge(group, stale) {
  const phase = group.paused && group.phase !== 'paused' ? 'paused' : group.phase;
  if (stale) return badge(`${phase} · stale`, 'muted', { title: 'Last known phase; the page is not live' });
  return badge(phase, tone(group));
}

function tone(group) {
  if (group.breaker?.open) return 'bad';
  if (group.paused) return 'warn';
  return PHASE_TONE[group.phase] ?? 'muted';
}

function countTone(group) {
  // More than desired is a surge (a rollout's extra instance, a scale-down in progress): not plain green.
  if (group.healthy > group.desired) return 'surge-text';
  if (group.healthy === group.desired) return 'ok-text';
  return group.healthy === 0 && group.desired > 0 ? 'bad-text' : 'warn-text';
}

function configChips(group) {
  const entries = Object.entries(group.byConfig ?? {}).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return h('span', { class: 'muted' }, shortConfig(group.config));
  return h(
    'span',
    { class: 'chips' },
    entries.map(([config, count]) =>
      h(
        'span',
        { class: config === group.config ? 'chip current' : 'chip', title: config },
        h('span', { class: 'mono' }, shortConfig(config)),
        h('span', { class: 'count' }, `×${count}`),
      ),
    ),
  );
}

function rolloutCell(rollout) {
  if (!rollout) return h('span', { class: 'muted' }, '—');
  const total = Math.max(1, rollout.total);
  const bar = h('span', { class: 'bar-fill' });
  // CSSOM writes are allowed under the strict CSP (style attributes in markup are not).
  bar.style.width = `${Math.min(100, Math.round((rollout.updated / total) * 100))}%`;
  return h(
    'span',
    {
      class: `rollout ${rollout.state}`,
      title: `${shortConfig(rollout.fromConfig)} → ${shortConfig(rollout.toConfig)}`,
    },
    h(
      'span',
      {
        class: 'bar',
        role: 'progressbar',
        'aria-valuemin': 0,
        'aria-valuemax': rollout.total,
        'aria-valuenow': rollout.updated,
      },
      bar,
    ),
    h('span', { class: 'rollout-text' }, `${rollout.updated}/${rollout.total} ${rollout.state}`),
    rollout.reason ? h('span', { class: 'muted small' }, rollout.reason) : null,
  );
}

function breakerCell(breaker) {
  if (!breaker) return h('span', { class: 'muted' }, '—');
  if (breaker.open)
    return h('span', { title: breaker.reason ?? '' }, badge('open', 'bad'), ' ', breaker.reason ?? '');
  const failures = breaker.consecutiveFailures > 0 ? ` (${breaker.consecutiveFailures} failures)` : '';
  return h('span', { class: 'muted' }, `closed${failures}`);
}

export function eventMatches(event, filter) {
  if (filter.group && event.groupId !== filter.group) return false;
  if (!filter.instance) return true;
  return event.instanceId === filter.instance || event.data?.replaced === filter.instance;
}

export function renderTimeline(list, events, filter, onInstance) {
  const shown = events
    .filter((event) => eventMatches(event, filter))
    .slice(-200)
    .reverse();
  list.replaceChildren(
    ...shown.map((event) =>
      h(
        'li',
        {
          dataset: {
            type: event.type,
            group: event.groupId,
            instance: event.instanceId ?? '',
            replaced: typeof event.data?.replaced === 'string' ? event.data.replaced : '',
          },
        },
        h('time', { datetime: new Date(event.at).toISOString() }, clock(event.at)),
        badge(event.type, EVENT_TONE[event.type] ?? 'muted'),
        h(
          'span',
          { class: 'event-body' },
          filter.group ? null : h('span', { class: 'mono group-name' }, event.groupId),
          message(event, filter, onInstance),
        ),
      ),
    ),
  );
  return shown.length;
}

/**
 * The message with instance IDs as links that filter the timeline by that instance: the one the
 * event is about and, for a replacement, the one it replaced.
 */
function message(event, filter, onInstance) {
  const ids = [event.instanceId, event.data?.replaced].filter(
    (id) => typeof id === 'string' && id !== '' && id !== filter.instance,
  );
  const parts = [event.message];
  for (const id of ids) {
    const link = () =>
      h(
        'button',
        {
          type: 'button',
          class: 'link mono',
          title: 'Show only this instance’s events',
          onclick: () => onInstance(id),
        },
        id,
      );
    const at = parts.findIndex((part) => typeof part === 'string' && part.includes(id));
    if (at === -1) {
      parts.push(' ', link());
      continue;
    }
    const [before, ...rest] = parts[at].split(id);
    parts.splice(at, 1, before, link(), rest.join(id));
  }
  return h(
    'span',
    { class: 'message' },
    parts.filter((part) => part !== ''),
  );
}

export function renderFilters(element, filter, onClear) {
  const chip = (label, value, key) =>
    h(
      'span',
      { class: 'chip filter', dataset: { filter: key } },
      `${label}: `,
      h('span', { class: 'mono' }, value),
      h(
        'button',
        {
          type: 'button',
          class: 'ghost',
          'aria-label': `clear ${label} filter`,
          onclick: () => onClear(key),
        },
        '×',
      ),
    );
  element.replaceChildren(
    ...[
      filter.group ? chip('group', filter.group, 'group') : h('span', { class: 'muted' }, 'all groups'),
      filter.instance ? chip('instance', filter.instance, 'instance') : null,
    ].filter((child) => child !== null),
  );
}
