// A group's spec as YAML and its revision history, with a diff between any two revisions and
// undo (back to the previous revision, committed as a new one) for operators.
import { badge, clock, h } from './dom.js';
import { lineDiff, toYaml } from './yaml.js';

/**
 * `history` is GET /v1/groups/:id/history ({ id, revisions }), oldest first. `view` holds the
 * page's choice: { from, to } revision numbers to compare (to = latest when unset).
 */
export function renderSpec(element, history, view, handlers) {
  const revisions = history?.revisions ?? [];
  if (revisions.length === 0) {
    element.replaceChildren(h('p', { class: 'empty' }, history === null ? 'Loading…' : 'No revisions.'));
    return;
  }
  const latest = revisions.at(-1);
  const to = revisions.find((r) => r.revision === view.to) ?? latest;
  const from = revisions.find((r) => r.revision === view.from);
  const list = h(
    'ol',
    { class: 'revisions', dataset: { testid: 'revisions' } },
    [...revisions].reverse().map((r) =>
      h(
        'li',
        { class: r.revision === to.revision ? 'selected' : '', dataset: { revision: r.revision } },
        h(
          'button',
          {
            type: 'button',
            class: 'link mono',
            title: 'Show this revision',
            onclick: () => handlers.show(r.revision),
          },
          `#${r.revision}`,
        ),
        r.deleted ? badge('removed', 'bad') : null,
        h('span', { class: 'who' }, r.author || '—'),
        h('time', { datetime: r.at, title: r.at }, clockOf(r.at)),
        h('span', { class: 'reason muted' }, r.reason || ''),
        r.revision === to.revision
          ? null
          : h(
              'button',
              {
                type: 'button',
                class: 'ghost small',
                dataset: { testid: 'diff-from' },
                title: `Diff #${r.revision} → #${to.revision}`,
                onclick: () => handlers.compare(r.revision, to.revision),
              },
              'diff',
            ),
      ),
    ),
  );
  const body = from === undefined ? yamlBlock(to) : diffBlock(from, to);
  const head = h(
    'div',
    { class: 'spec-head' },
    h(
      'strong',
      null,
      from === undefined ? `Revision #${to.revision}` : `Diff #${from.revision} → #${to.revision}`,
    ),
    to === latest ? badge('latest', 'info') : badge('older', 'muted'),
    from === undefined
      ? null
      : h(
          'button',
          { type: 'button', class: 'ghost small', onclick: () => handlers.show(to.revision) },
          'show spec',
        ),
    h('span', { class: 'spacer' }),
    h(
      'button',
      {
        type: 'button',
        id: 'undo',
        title: 'Go back to the previous revision (committed as a new one)',
        disabled: !handlers.canUndo || revisions.length < 2 || latest.deleted === true,
        onclick: () => handlers.undo(revisions.at(-2)),
      },
      'Undo last change…',
    ),
  );
  element.replaceChildren(h('div', { class: 'spec-main' }, head, body), list);
}

function clockOf(iso) {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : `${new Date(at).toISOString().slice(0, 10)} ${clock(at)}`;
}

function yamlBlock(revision) {
  return h('pre', { class: 'code', dataset: { testid: 'spec-yaml' } }, toYaml(revision.spec));
}

function diffBlock(from, to) {
  const diff = lineDiff(toYaml(from.spec), toYaml(to.spec));
  const changed = diff.filter((l) => l.op !== ' ').length;
  return h(
    'pre',
    { class: 'code diff', dataset: { testid: 'spec-diff' } },
    changed === 0
      ? h('span', { class: 'muted' }, 'No change in the spec (the commit changed only its metadata).')
      : diff.map((l) =>
          h('span', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same' }, `${l.op} ${l.text}\n`),
        ),
  );
}
