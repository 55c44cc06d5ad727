// Small shared building blocks: clock, logger, backoff, token bucket, queues. No project imports.
export * from './atomic-file.js';
export * from './backoff.js';
export * from './clock.js';
export * from './did-you-mean.js';
export * from './duration.js';
export * from './engine-call.js';
export * from './epoch-fence.js';
export * from './etcd-client.js';
export * from './file-lock.js';
export * from './keyed-serial.js';
export * from './lifecycle.js';
export * from './linked-queue.js';
export * from './logger.js';
export * from './map-limited.js';
export * from './random.js';
export * from './redact-secrets.js';
export * from './shell-quote.js';
export {
  type Cluster,
  clusterRead,
  clusterWrite,
  clusterWriteLabels,
  localNode,
  type SeatRecord,
} from './swarm-cluster.js';
export * from './token-bucket.js';
export * from './within.js';
export * from './zod-issues.js';
