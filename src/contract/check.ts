// Plain functions: `tend plugin verify` runs these at run time, so nothing here may load
// node:test (the node:test wrapper lives in test/support/contract/plugin-contract.ts).

/** The outcome of one named contract check, as `tend plugin verify` prints it. */
export interface ContractCheckResult {
  name: string;
  ok: boolean;
  skipped?: boolean;
  /**
   * Not a failure, but not a clean pass either: what the check could not judge or what the
   * plugin does not do that Tend copes with (`error` says which). Tend's own plugins have none.
   */
  noted?: boolean;
  error?: string;
  durationMs: number;
}

/**
 * Thrown by a check that met something it cannot hold against the plugin: an InfraKit-style
 * error with no kind, or a behaviour Tend works around. Reported as a note, not a failure.
 */
export class ContractNote extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractNote';
  }
}

/**
 * True for a plugin failure that carried no kind (InfraKit's plugins answer -32000 with
 * `data: null`): the caller reads it as `internal`, but the plugin never said so.
 */
export function kindUnknown(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('details' in error)) return false;
  const { details } = error;
  return (
    typeof details === 'object' && details !== null && 'kindSent' in details && details.kindSent === false
  );
}

/** A note for an error whose kind the plugin did not send, where the check wants `expected`. */
export function unknownKindNote(error: unknown, expected: string): ContractNote {
  const message = error instanceof Error ? error.message : String(error);
  return new ContractNote(
    `InfraKit-style error, kind unknown (wanted ${expected}; the plugin answered -32000 without data.kind): ${message}`,
  );
}

/** A check that does not apply (say, no invalid properties were given) says why. */
export interface CheckSkip {
  skip: string;
}

/** One named check against a plugin. It must clean up whatever it created, pass or fail. */
export interface ContractCheck<P> {
  name: string;
  run(plugin: P, signal: AbortSignal): Promise<CheckSkip | undefined>;
}

/**
 * A hang guard, not a timing assertion: a plugin call that never answers fails its check instead
 * of stalling `tend plugin verify` or CI. Generous because real providers (VMs) can be slow.
 */
const checkTimeoutMs = 120_000;

export interface CheckRun {
  result: ContractCheckResult;
  /** The original error, so a test runner can show assertion diffs. */
  error?: unknown;
}

/** Runs one check under the hang guard; never throws. */
export async function runCheck<P>(check: ContractCheck<P>, plugin: P): Promise<CheckRun> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`check "${check.name}" gave no answer within ${checkTimeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, checkTimeoutMs);
  });
  try {
    const outcome = await Promise.race([check.run(plugin, controller.signal), timedOut]);
    const durationMs = performance.now() - started;
    if (outcome !== undefined) {
      return { result: { name: check.name, ok: true, skipped: true, error: outcome.skip, durationMs } };
    }
    return { result: { name: check.name, ok: true, durationMs } };
  } catch (error) {
    const durationMs = performance.now() - started;
    if (error instanceof ContractNote)
      return { result: { name: check.name, ok: true, noted: true, error: error.message, durationMs }, error };
    return { result: { name: check.name, ok: false, error: describeError(error), durationMs }, error };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check in order against one plugin; never throws. */
export async function verifyChecks<P>(
  checks: readonly ContractCheck<P>[],
  plugin: P,
): Promise<ContractCheckResult[]> {
  const results: ContractCheckResult[] = [];
  for (const check of checks) results.push((await runCheck(check, plugin)).result);
  return results;
}

/** The `kind` of a TendError, read structurally so a copy of the class from elsewhere still counts. */
export function errorKind(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('kind' in error)) return undefined;
  return typeof error.kind === 'string' ? error.kind : undefined;
}

export function describeError(error: unknown): string {
  const kind = errorKind(error);
  const message = error instanceof Error ? error.message : String(error);
  return kind === undefined ? message : `${kind}: ${message}`;
}
