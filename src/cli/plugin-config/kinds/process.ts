import { z } from 'zod';
import { strictObject, wholeNumber } from '../../../group/index.js';
import { createProcessPlugin } from '../../../plugins/instance/process/index.js';
import { definePluginKind } from '../define-kind.js';

export const processKind = definePluginKind({
  kind: 'process',
  summary: 'local processes that outlive the manager (the default)',
  configSchema: strictObject({
    /** Default: `--state-dir` for the name `process`, else `<TEND_HOME>/<name>`. */
    stateDir: z.string().min(1, 'expected a directory path').optional(),
    killGraceMs: wholeNumber(0).optional(),
    pollIntervalMs: wholeNumber(10).optional(),
  }),
  create: async (config, { stateDir, resolvePath, logger, clock }) =>
    createProcessPlugin({
      stateDir: config.stateDir === undefined ? stateDir : resolvePath(config.stateDir),
      logger,
      clock,
      ...(config.killGraceMs === undefined ? {} : { killGraceMs: config.killGraceMs }),
      ...(config.pollIntervalMs === undefined ? {} : { pollIntervalMs: config.pollIntervalMs }),
    }),
});
