import type { Command } from 'commander';

/** Adds every command to the program. One line per command file. */
export function registerCommands(_program: Command): void {}
