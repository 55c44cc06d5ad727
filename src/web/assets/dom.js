// DOM building and formatting. Text always goes in through textContent, never innerHTML, so
// nothing a plugin or a user put in a tag or a message can turn into markup.

/** `h('td', { class: 'num', dataset: { id } }, 'text', child)` */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`dashboard markup lacks #${id}`);
  return element;
}

/** Config hashes are long; eight characters tell versions apart at a glance. */
export function shortConfig(config) {
  return typeof config === 'string' ? config.slice(0, 8) : '—';
}

export function age(since, now) {
  if (typeof since !== 'number') return '—';
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function clock(at) {
  if (typeof at !== 'number') return '';
  const date = new Date(at);
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A small coloured label; `tone` picks the colour (ok, warn, bad, info, muted). */
export function badge(text, tone, extra) {
  return h('span', { class: `badge ${tone}`, ...extra }, text);
}

export const PHASE_TONE = {
  converged: 'ok',
  converging: 'info',
  rolling: 'info',
  paused: 'warn',
  'breaker-open': 'bad',
  destroying: 'warn',
  blind: 'bad',
  refused: 'bad',
};

export const EVENT_TONE = {
  created: 'ok',
  destroyed: 'muted',
  vanished: 'bad',
  unhealthy: 'bad',
  replaced: 'warn',
  'provision-failed': 'bad',
  'rollout-started': 'info',
  'rollout-step': 'info',
  'rollout-done': 'ok',
  'rollout-paused': 'warn',
  'rollout-rollback': 'bad',
  'breaker-open': 'bad',
  'breaker-closed': 'ok',
  blind: 'bad',
  refused: 'bad',
  'leader-changed': 'info',
  committed: 'info',
};
