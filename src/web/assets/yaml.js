// A group spec (JSON from the store) as YAML for reading, and a line diff between two of them.
// Pure functions, no DOM: the dashboard shows specs, it never parses them back.

const PLAIN = /^[A-Za-z0-9_./@-][A-Za-z0-9_ ./@:-]*$/;
const RESERVED = /^(?:true|false|null|yes|no|on|off|~|[-+]?\d[\d._eE+-]*)$/i;

function scalar(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = String(value);
  // Quoted whenever YAML could read it as something else (a number, a bool, a key, a comment).
  if (text !== '' && PLAIN.test(text) && !RESERVED.test(text) && !text.endsWith(' ') && !text.includes(': '))
    return text;
  return JSON.stringify(text);
}

function key(name) {
  return PLAIN.test(name) && !RESERVED.test(name) && !name.includes(':') ? name : JSON.stringify(name);
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isEmpty = (v) => (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);

function lines(value, indent) {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    const out = [];
    for (const item of value) {
      if ((isObject(item) || Array.isArray(item)) && !isEmpty(item)) {
        const [first, ...rest] = lines(item, indent + 2);
        out.push(`${pad}- ${first.trimStart()}`, ...rest);
      } else out.push(`${pad}- ${isEmpty(item) ? JSON.stringify(item) : scalar(item)}`);
    }
    return out;
  }
  const out = [];
  for (const [name, item] of Object.entries(value)) {
    if ((isObject(item) || Array.isArray(item)) && !isEmpty(item)) {
      out.push(`${pad}${key(name)}:`, ...lines(item, indent + 2));
    } else if (typeof item === 'string' && item.includes('\n')) {
      out.push(
        `${pad}${key(name)}: |`,
        ...item
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `${pad}  ${l}`),
      );
    } else out.push(`${pad}${key(name)}: ${isEmpty(item) ? JSON.stringify(item) : scalar(item)}`);
  }
  return out;
}

export function toYaml(value) {
  if (!isObject(value) && !Array.isArray(value)) return `${scalar(value)}\n`;
  if (isEmpty(value)) return `${JSON.stringify(value)}\n`;
  return `${lines(value, 0).join('\n')}\n`;
}

/**
 * Line diff (longest common subsequence): `[{ op: ' ' | '-' | '+', text }]`. Specs are a few
 * dozen lines; above MAX_LINES a side is compared as a whole so a huge spec cannot stall the tab.
 */
const MAX_LINES = 2000;

export function lineDiff(before, after) {
  const a = before.replace(/\n$/, '').split('\n');
  const b = after.replace(/\n$/, '').split('\n');
  if (a.length > MAX_LINES || b.length > MAX_LINES) {
    return [...a.map((text) => ({ op: '-', text })), ...b.map((text) => ({ op: '+', text }))];
  }
  const width = b.length + 1;
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      table[i * width + j] =
        a[i] === b[j]
          ? table[(i + 1) * width + j + 1] + 1
          : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i] });
      i++;
      j++;
    } else if (table[(i + 1) * width + j] >= table[i * width + j + 1]) out.push({ op: '-', text: a[i++] });
    else out.push({ op: '+', text: b[j++] });
  }
  while (i < a.length) out.push({ op: '-', text: a[i++] });
  while (j < b.length) out.push({ op: '+', text: b[j++] });
  return out;
}
