// Group specs: parse and validate Tend's YAML/JSON and InfraKit's shape into the resolved
// GroupSpec of spi/, with precise path-named problems; plus the config hash and the way back.

export { formatDuration, parseDuration } from '../../lib/index.js';
export { canonicalJson, configHash } from './config-hash.js';
export { strictObject, wholeNumber } from './fields.js';
export { fromInfraKitGroup, type InfraKitGroupOptions, toInfraKitGroup } from './infrakit.js';
export { infraKitConfigSha } from './infrakit-config-sha.js';
export { allocationLimitProblems, DEFAULT_MAX_GROUP_SIZE, sizeLimitMessage } from './limits.js';
export { MAX_SPEC_BYTES, type ParseSpecOptions, parseSpecDocument } from './parse-document.js';
export { type ParseGroupOptions, parseGroupObject, resolveGroupSpec } from './parse-group.js';
export {
  describeValue,
  expectedGot,
  formatPath,
  invalidSpec,
  issuesToProblems,
  joinPath,
  type PathSegment,
  problemLine,
  type SpecProblem,
} from './problems.js';
export { DEFAULTS as SPEC_DEFAULTS, type IsKnownPlugin, type TendGroupInput } from './schema.js';
export { diffDocuments } from './spec-diff.js';
export { specToDocument } from './spec-to-document.js';
export { decodeYamlDocument } from './yaml-document.js';
