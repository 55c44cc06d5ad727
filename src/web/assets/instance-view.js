// One instance up close: where it lives, all its tags, the health the page saw over time, its
// events, and its output (tail, or followed live). Log text goes in as text, never as markup.
import { age, badge, clock, EVENT_TONE, h } from './dom.js';

const HEALTH_TONE = {
  healthy: 'ok',
  unhealthy: 'bad',
  unknown: 'muted',
  destroyed: 'muted',
  vanished: 'bad',
};

/** `location` as the instance description carries it (PID, container, address, host), when present. */
function locationList(instance) {
  const location = instance.location;
  if (location === undefined || location === null || typeof location !== 'object') {
    return h(
      'p',
      { class: 'muted small', dataset: { testid: 'location' } },
      'Location: not reported by this manager.',
    );
  }
  const entries = Object.entries(location).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return h(
    'dl',
    { class: 'facts', dataset: { testid: 'location' } },
    entries.flatMap(([name, value]) => [
      h('dt', null, name),
      h('dd', { class: 'mono' }, typeof value === 'object' ? JSON.stringify(value) : String(value)),
    ]),
  );
}

export function renderInstance(element, { group, instance, health, events, now, onClose }) {
  if (instance === undefined) {
    element.hidden = true;
    element.replaceChildren();
    return;
  }
  element.hidden = false;
  const tags = Object.entries(instance.tags ?? {}).sort(([a], [b]) => a.localeCompare(b));
  element.replaceChildren(
    h(
      'div',
      { class: 'card-head' },
      h('h3', null, 'Instance ', h('span', { class: 'mono' }, instance.id)),
      badge(instance.health ?? 'unknown', HEALTH_TONE[instance.health] ?? 'muted'),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'ghost', 'aria-label': 'Close instance', onclick: onClose }, '×'),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'group'),
      h('dd', { class: 'mono' }, group.id),
      h('dt', null, 'logical ID'),
      h('dd', { class: 'mono' }, instance.logicalId ?? '—'),
      h('dt', null, 'config'),
      h('dd', { class: 'mono' }, instance.config ?? '—'),
      h('dt', null, 'age'),
      h('dd', null, age(instance.createdAt, now)),
    ),
    locationList(instance),
    h('h4', null, 'Tags'),
    h(
      'span',
      { class: 'chips', dataset: { testid: 'instance-tags' } },
      tags.length === 0
        ? h('span', { class: 'muted' }, 'none')
        : tags.map(([k, v]) => h('span', { class: 'chip tag' }, `${k}=${v}`)),
    ),
    h('h4', null, 'Health seen'),
    h(
      'ol',
      { class: 'health-history', dataset: { testid: 'health-history' } },
      health.length === 0
        ? h('li', { class: 'muted' }, 'nothing yet')
        : [...health]
            .reverse()
            .map((entry) =>
              h(
                'li',
                null,
                h('time', null, clock(entry.at)),
                badge(entry.health, HEALTH_TONE[entry.health] ?? 'muted'),
                entry.why && entry.why !== 'status' ? h('span', { class: 'muted small' }, entry.why) : null,
              ),
            ),
    ),
    h('h4', null, 'Events'),
    h(
      'ol',
      { class: 'mini-timeline', dataset: { testid: 'instance-events' } },
      events.length === 0
        ? h('li', { class: 'muted' }, 'none in the last events')
        : events
            .slice(-20)
            .reverse()
            .map((e) =>
              h(
                'li',
                null,
                h('time', null, clock(e.at)),
                badge(e.type, EVENT_TONE[e.type] ?? 'muted'),
                e.message,
              ),
            ),
    ),
    h(
      'div',
      { class: 'log-head' },
      h('h4', null, 'Log'),
      h('span', { id: 'log-state', class: 'muted small', dataset: { testid: 'log-state' } }),
      h('span', { class: 'spacer' }),
      h('label', { class: 'small' }, h('input', { type: 'checkbox', id: 'log-follow' }), ' follow'),
    ),
    h('pre', { id: 'log', class: 'code log', dataset: { testid: 'log' } }),
  );
}

/**
 * Reads GET …/instances/:id/logs: a tail first, then (follow) the streamed rest until aborted.
 * Accepts JSON ({ lines: [...] } or { text }), text/event-stream or plain text, so the view does
 * not depend on which the manager chose. Keeps at most MAX_CHARS of text on screen.
 */
const MAX_CHARS = 200_000;

export async function readLog({ token, group, instance, follow, signal, onText, onState }) {
  let stateText = '';
  const say = (text) => {
    stateText = text;
    onState(text);
  };
  const base = `/v1/groups/${encodeURIComponent(group)}/instances/${encodeURIComponent(instance)}/logs`;
  const url = `${base}?tail=200${follow ? '&follow=1' : ''}`;
  let response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store', signal });
  } catch (error) {
    if (!signal.aborted) say(`cannot reach the manager: ${String(error)}`);
    return;
  }
  if (response.status === 404) {
    const body = await response.text().catch(() => '');
    say(
      /no route/i.test(body) || body === ''
        ? 'Logs are not served by this manager version.'
        : messageOf(body),
    );
    return;
  }
  if (!response.ok) {
    say(`Log refused (${response.status}): ${messageOf(await response.text().catch(() => ''))}`);
    return;
  }
  say(follow ? 'following…' : 'last 200 lines');
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('application/json')) {
    const body = await response.json().catch(() => ({}));
    onText(jsonText(body));
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = decoder.decode(value, { stream: true });
      if (!type.includes('text/event-stream')) {
        onText(chunk);
        continue;
      }
      pending += chunk;
      const messages = pending.split('\n\n');
      pending = messages.pop() ?? '';
      for (const message of messages) {
        const lines = message.split('\n');
        const event =
          lines
            .find((line) => line.startsWith('event:'))
            ?.slice(6)
            .trim() ?? 'message';
        const data = lines
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''));
        if (data.length === 0) continue;
        const parsed = parseJson(data.join('\n'));
        // The manager sends `event: log` {text} pieces, and `event: error` {error} before it ends.
        if (event === 'error') say(`log stopped: ${parsed?.error?.message ?? data.join(' ')}`);
        else onText(typeof parsed?.text === 'string' ? parsed.text : `${data.join('\n')}\n`);
      }
    }
    if (!signal.aborted && follow && !/^log stopped/.test(stateText)) say('stream ended');
  } catch {
    if (!signal.aborted) say('stream interrupted');
  }
}

function messageOf(body) {
  try {
    return JSON.parse(body).error?.message ?? body;
  } catch {
    return body.slice(0, 200);
  }
}

function lineText(line) {
  if (typeof line === 'string') return line;
  if (line && typeof line === 'object') return line.line ?? line.text ?? line.message ?? JSON.stringify(line);
  return String(line);
}

function jsonText(body) {
  if (Array.isArray(body?.lines)) return body.lines.map((l) => `${lineText(l)}\n`).join('');
  if (typeof body?.text === 'string') return body.text;
  return JSON.stringify(body);
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function appendLog(pre, text) {
  const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.append(document.createTextNode(text));
  if (pre.textContent.length > MAX_CHARS) pre.textContent = pre.textContent.slice(-MAX_CHARS);
  if (stick) pre.scrollTop = pre.scrollHeight;
}
