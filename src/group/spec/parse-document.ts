import type { GroupSpec } from '../../spi/index.js';
import { fromInfraKitGroupChecked } from './infrakit.js';
import { allocationLimitProblems } from './limits.js';
import { checkGroupObject } from './parse-group.js';
import { describeValue, invalidSpec, type SpecProblem } from './problems.js';
import type { IsKnownPlugin } from './schema.js';
import { decodeYamlDocument } from './yaml-document.js';

/** Specs are small; refusing big documents before parsing bounds the parser's time and memory. */
export const MAX_SPEC_BYTES = 1024 * 1024;

export interface ParseSpecOptions {
  /** A file name or "stdin", named in the error. */
  source?: string;
  /** Rejects plugin names no plugin answers to; called with the name as written (`lookup/type`). */
  isKnownPlugin?: IsKnownPlugin;
  /** Refuses a size (or a count of logical IDs) above this: the manager's ceiling. */
  maxGroupSize?: number;
}

/**
 * Parses a spec document: YAML or JSON (YAML 1.2 is a superset), either `groups: [...]`, a single
 * group, or a single group in InfraKit's shape (`{ID, Properties}`). Throws one `invalid_spec`
 * TendError listing every problem.
 */
export function parseSpecDocument(text: string, options: ParseSpecOptions = {}): GroupSpec[] {
  const fail = (problems: SpecProblem[]) => invalidSpec(problems, options.source);
  const overLimit = (spec: GroupSpec, path: string) =>
    options.maxGroupSize === undefined
      ? []
      : allocationLimitProblems(spec.allocation, options.maxGroupSize, path);
  const value = decodeYamlDocument(text, MAX_SPEC_BYTES, fail);
  if (value === null || value === undefined) throw fail([{ path: '', message: 'document is empty' }]);
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw fail([
      {
        path: '',
        message: `expected a map with "groups" (a list of groups) or a single group, got ${describeValue(value)}`,
      },
    ]);
  }
  if ('ID' in value || 'Properties' in value) {
    const result = fromInfraKitGroupChecked(value, options.isKnownPlugin);
    if (!result.ok) throw fail(result.problems);
    const limit = overLimit(result.spec, '').map((p) => ({ ...p, path: infraKitPath(p.path) }));
    if (limit.length > 0) throw fail(limit);
    return [result.spec];
  }
  if (!('groups' in value)) {
    const result = checkGroupObject(value, '', options.isKnownPlugin);
    if (!result.ok) throw fail(result.problems);
    const limit = overLimit(result.spec, '');
    if (limit.length > 0) throw fail(limit);
    return [result.spec];
  }
  const problems: SpecProblem[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'groups') problems.push({ path: key, message: 'unknown key (expected only "groups")' });
  }
  const groups: unknown = value.groups;
  if (!Array.isArray(groups)) {
    problems.push({ path: 'groups', message: `expected a list of groups, got ${describeValue(groups)}` });
    throw fail(problems);
  }
  const specs: GroupSpec[] = [];
  const firstIndexById = new Map<string, number>();
  groups.forEach((group: unknown, index) => {
    const result = checkGroupObject(group, `groups[${index}]`, options.isKnownPlugin);
    if (result.ok) {
      specs.push(result.spec);
      problems.push(...overLimit(result.spec, `groups[${index}]`));
    } else problems.push(...result.problems);
    // Checked on the raw ID too, so a duplicate is named even when that group has other problems.
    const id = typeof group === 'object' && group !== null && 'id' in group ? group.id : undefined;
    if (typeof id !== 'string') return;
    const first = firstIndexById.get(id);
    if (first === undefined) firstIndexById.set(id, index);
    else
      problems.push({
        path: `groups[${index}].id`,
        message: `duplicate group ID ${JSON.stringify(id)} (also groups[${first}])`,
      });
  });
  if (problems.length > 0) throw fail(problems);
  return specs;
}

/** InfraKit's shape names the same fields its own way. */
function infraKitPath(path: string): string {
  return path === 'allocation.size' ? 'Properties.Allocation.Size' : 'Properties.Allocation.LogicalIDs';
}
