import { z } from 'zod';
import { strictObject, wholeNumber } from '../../../group/index.js';
import { definePluginKind } from '../define-kind.js';

export const dockerKind = definePluginKind({
  kind: 'docker',
  summary: 'containers on a Docker Engine (labels hold the tags, events heal fast)',
  configSchema: strictObject({
    /** The engine's unix socket; default `$DOCKER_HOST` (unix://…), else /var/run/docker.sock. */
    socketPath: z.string().min(1, 'expected a socket path').optional(),
    stateDir: z.string().min(1, 'expected a directory path').optional(),
    requestTimeoutMs: wholeNumber(1).optional(),
    stopTimeoutSeconds: wholeNumber(0).optional(),
  }),
  // Loaded only when a group uses it: the Docker client is a large module.
  create: async (config, { stateDir, resolvePath, logger, clock }) =>
    (await import('../../../plugins/instance/docker/index.js')).createDockerPlugin({
      stateDir: config.stateDir === undefined ? stateDir : resolvePath(config.stateDir),
      logger,
      clock,
      ...(config.socketPath === undefined ? {} : { socketPath: resolvePath(config.socketPath) }),
      ...(config.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: config.requestTimeoutMs }),
      ...(config.stopTimeoutSeconds === undefined ? {} : { stopTimeoutSeconds: config.stopTimeoutSeconds }),
    }),
});
