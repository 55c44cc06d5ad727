/** Tag names Tend puts on every instance it creates (ARCHITECTURE.md §5). */
export const TAG_GROUP = 'tend.group';
export const TAG_CONFIG = 'tend.config';
export const TAG_OP = 'tend.op';
export const TAG_EPOCH = 'tend.epoch';
export const TAG_LOGICAL = 'tend.logical';
/** InfraKit's names, honoured when reading instances InfraKit created. */
export const INFRAKIT_TAG_GROUP = 'infrakit.group';
export const INFRAKIT_TAG_CONFIG = 'infrakit.config_sha';
