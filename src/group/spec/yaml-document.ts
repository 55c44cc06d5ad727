import { parseDocument, YAMLError } from 'yaml';
import type { SpecProblem } from './problems.js';

/**
 * Decodes a YAML or JSON document (YAML 1.2 is a superset) into plain values, for every file Tend
 * reads from an operator (specs, the plugin config). Refuses documents over `maxBytes` before
 * parsing, which bounds the parser's time and memory. Throws `fail(problems)`, so each caller
 * words its own error.
 */
export function decodeYamlDocument(
  text: string,
  maxBytes: number,
  fail: (problems: SpecProblem[]) => Error,
): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw fail([
      { path: '', message: `document is ${formatBytes(bytes)}; the limit is ${formatLimit(maxBytes)}` },
    ]);
  }
  try {
    // YAML 1.2 core schema: no timestamps or binary, so every value is JSON-shaped (or .inf/.nan,
    // which the field checks reject). Unique keys and strict mode; warnings (an unknown `!tag`)
    // count as errors rather than being printed.
    const doc = parseDocument(text, {
      schema: 'core',
      uniqueKeys: true,
      strict: true,
      merge: false,
      prettyErrors: true,
    });
    const first = doc.errors[0] ?? doc.warnings[0];
    if (first !== undefined) throw first;
    // Caps alias expansion, so a "billion laughs" document stays small.
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof YAMLError) throw fail([yamlProblem(error)]);
    // Anything else (e.g. a stack overflow on absurd nesting) is still a bad document, not a crash.
    const reason = error instanceof Error ? error.message : String(error);
    throw fail([{ path: '', message: `cannot read the document as YAML or JSON: ${reason}` }]);
  }
}

function yamlProblem(error: YAMLError): SpecProblem {
  const summary = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
  const where = error.linePos?.[0];
  if (where === undefined) return { path: '', message: `invalid YAML: ${summary}` };
  return {
    path: '',
    message: `invalid YAML at line ${where.line}, column ${where.col}: ${summary}`,
    line: where.line,
    column: where.col,
  };
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${bytes} bytes`;
}

function formatLimit(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
