// The selected group's instance table. Rows are rebuilt on every status or event; which rows
// have their Tend tags expanded is kept here so a live update does not fold them again.
import { age, h, shortConfig } from './dom.js';

const HEALTH_TONE = { healthy: 'ok', unhealthy: 'bad', unknown: 'muted' };

export function renderInstances(tbody, group, selectedInstance, onSelect, now) {
  const instances = [...(group?.instances ?? [])].sort(
    (a, b) => (a.logicalId ?? '').localeCompare(b.logicalId ?? '') || (a.createdAt ?? 0) - (b.createdAt ?? 0),
  );
  tbody.replaceChildren(
    ...instances.map((instance) =>
      h(
        'tr',
        {
          class: instance.id === selectedInstance ? 'selected clickable' : 'clickable',
          dataset: { instance: instance.id },
          title: 'Show this instance’s events',
          onclick: () => onSelect(instance.id),
        },
        h('td', null, h('button', { type: 'button', class: 'link mono' }, instance.id)),
        h('td', { class: 'mono hide-narrow' }, instance.logicalId ?? '—'),
        h(
          'td',
          null,
          h('span', { class: `dot ${HEALTH_TONE[instance.health] ?? 'muted'}` }),
          instance.health,
        ),
        h(
          'td',
          {
            class: instance.config === group.config ? 'mono hide-narrow' : 'mono stale hide-narrow',
            title: instance.config,
          },
          shortConfig(instance.config),
        ),
        h('td', { class: 'num' }, age(instance.createdAt, now)),
        h('td', null, tagChips(instance)),
      ),
    ),
  );
}

/** Instances whose Tend tags the user expanded; kept across re-renders. */
const expandedTags = new Set();

/** Tend's own tags repeat what the other columns show; they stay one click away. */
function tagChips(instance) {
  const entries = Object.entries(instance.tags ?? {});
  const own = entries.filter(([key]) => key.startsWith('tend.') || key.startsWith('infrakit.'));
  const user = entries.filter((entry) => !own.includes(entry));
  const open = expandedTags.has(instance.id);
  const chips = h(
    'span',
    { class: 'chips' },
    user.map(([key, value]) => h('span', { class: 'chip tag' }, `${key}=${value}`)),
    open ? own.map(([key, value]) => h('span', { class: 'chip tag own' }, `${key}=${value}`)) : null,
  );
  if (own.length > 0)
    chips.append(
      h(
        'button',
        {
          type: 'button',
          class: 'link small',
          'aria-expanded': open ? 'true' : 'false',
          dataset: { testid: 'tend-tags' },
          title: own.map(([k, v]) => `${k}=${v}`).join('\n'),
          onclick: (event) => {
            event.stopPropagation();
            if (open) expandedTags.delete(instance.id);
            else expandedTags.add(instance.id);
            const cell = chips.parentElement;
            cell?.replaceChildren(tagChips(instance));
          },
        },
        open ? 'less' : `+${own.length} tend`,
      ),
    );
  return chips;
}
