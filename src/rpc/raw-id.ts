// InfraKit's Go clients number their calls with `rand.Int63()`, mostly above 2^53, where a
// JavaScript number rounds: 8807165085846269164 would come back as 8807165085846269000. These
// two helpers keep the id's digits as sent (gorilla's client ignores the id, but JSON-RPC says a
// response carries the request's id, and other clients check it).

/**
 * The text of the top-level `"id"` member of a JSON object body when it is a number too large to
 * survive `JSON.parse`; undefined otherwise. Scans the body's first level only, skipping strings
 * and nested values, so an `"id"` inside `params` is never taken.
 */
export function unsafeNumericIdText(body: string): string | undefined {
  let depth = 0;
  let key: string | undefined;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"') {
      const end = stringEnd(body, i);
      if (
        depth === 1 &&
        body
          .slice(end + 1)
          .trimStart()
          .startsWith(':')
      )
        key = body.slice(i + 1, end);
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ':' && depth === 1 && key === 'id') {
      const text = /^\s*(-?\d+)\s*[,}]/.exec(body.slice(i + 1))?.[1];
      return text !== undefined && !Number.isSafeInteger(Number(text)) ? text : undefined;
    }
  }
  return undefined;
}

/** Puts `idText` back in place of the rounded id of a serialized `{"jsonrpc","id",…}` answer. */
export function withIdText(serialized: string, roundedId: number, idText: string): string {
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(roundedId)}`;
  return serialized.startsWith(head)
    ? `{"jsonrpc":"2.0","id":${idText}${serialized.slice(head.length)}`
    : serialized;
}

/** The index of the quote closing the string that opens at `start`. */
function stringEnd(body: string, start: number): number {
  for (let i = start + 1; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === '"') return i;
  }
  return body.length;
}
