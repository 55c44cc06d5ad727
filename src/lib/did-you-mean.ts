// "Did you mean …?" for names a user typed: the spec's keys, plugin names.

/** Levenshtein distance, capped: anything above `cap` (or very long) is reported as `cap + 1`. */
export function editDistance(a: string, b: string, cap = 2): number {
  if (Math.abs(a.length - b.length) > cap || a.length > 64 || b.length > 64) return cap + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return Math.min(prev[b.length] ?? 0, cap + 1);
}

/**
 * The candidate nearest to `name` (same letters in another case, or at most `maxDistance` edits
 * away), or undefined when none is that close. Ties go to the first candidate.
 */
export function closestName(name: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance =
      candidate.toLowerCase() === name.toLowerCase() ? 0 : editDistance(candidate, name, maxDistance);
    if (distance <= maxDistance && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}
