/**
 * `work`'s value if it settles within `ms`, else `fallback()`'s. For reads that must answer on
 * time whatever a backend does (a frozen leader, a paused etcd): the work itself goes on and its
 * late result or error is dropped, so only use it for reads with no effect to wait for.
 */
export async function within<T>(work: Promise<T>, ms: number, fallback: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = Symbol('late');
  const timeout = new Promise<typeof late>((resolve) => {
    timer = setTimeout(() => resolve(late), ms);
  });
  work.catch(() => undefined); // a late rejection must not surface as unhandled
  try {
    const first = await Promise.race([work, timeout]);
    return first === late ? await fallback() : first;
  } finally {
    clearTimeout(timer);
  }
}
