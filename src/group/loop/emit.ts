import type { GroupEvent, GroupEventType } from '../../spi/index.js';

/** How the loop's parts tell the group's listeners what happened. */
export type Emit = (type: GroupEventType, message: string, extra?: Partial<GroupEvent>) => void;
