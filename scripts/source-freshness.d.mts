/** The compiled CLI's path when it is at least as new as every source file, else null. */
export function freshBuild(): string | null;
