// Group specs: parse and validate Tend's YAML/JSON and InfraKit's shape into the resolved
// GroupSpec of spi/, with precise path-named problems; plus the config hash and the way back.
export { canonicalJson, configHash } from './config-hash.js';
export { formatDuration, parseDuration } from './duration.js';
export { fromInfraKitGroup, type InfraKitGroupOptions, toInfraKitGroup } from './infrakit.js';
export { MAX_SPEC_BYTES, type ParseSpecOptions, parseSpecDocument } from './parse-document.js';
export { type ParseGroupOptions, parseGroupObject, resolveGroupSpec } from './parse-group.js';
export type { SpecProblem } from './problems.js';
export { DEFAULTS as SPEC_DEFAULTS, type IsKnownPlugin, type TendGroupInput } from './schema.js';
export { specToDocument } from './spec-to-document.js';
