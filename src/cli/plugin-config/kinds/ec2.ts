import { z } from 'zod';
import { strictObject, wholeNumber } from '../../../group/index.js';
import { definePluginKind } from '../define-kind.js';

// Every field is optional, so `plugin: ec2` keeps working without a section: region, endpoint and
// credentials then come from the SDK's own chain (AWS_REGION, AWS_ENDPOINT_URL_EC2, AWS_PROFILE,
// shared files, instance metadata). Credentials are never part of this file.
export const ec2Kind = definePluginKind({
  kind: 'ec2',
  summary: 'AWS EC2 through the SDK v3 (tags, ClientToken + tag lookup, fixed IPs and EBS volumes)',
  // EC2's mutating-action bucket refills at 5 requests/s (non-mutating at 20/s, RunInstances'
  // resource bucket at 2 instances/s after a burst of 1000): one limiter per plugin, its rate a
  // ceiling that `cloud` pacing adapts down to what the account admits (describes on a rate of
  // their own), starting with one token, its groups ticking in step so their describes merge.
  // A small burst, because the account's buckets are shared with everything else that uses it.
  defaultLimits: { ratePerSec: 5, burst: 10, concurrency: 8, pacing: 'cloud' },
  configSchema: strictObject({
    region: z.string().min(1, 'expected a region like us-east-1').optional(),
    /** Another EC2 API (moto on loopback, a VPC endpoint). */
    endpoint: z.url({ error: 'expected a URL like http://127.0.0.1:5000' }).optional(),
    /** A profile of the shared config/credentials files. */
    profile: z.string().min(1, 'expected a profile name').optional(),
    requestTimeoutMs: wholeNumber(1).optional(),
    pageSize: wholeNumber(5).max(1000, { error: 'expected a whole number 5–1000' }).optional(),
    statusChecks: z.boolean().optional(),
  }),
  // The AWS SDK is a large module: loaded only when a group uses the plugin.
  create: async (config, { logger, clock }) =>
    (await import('../../../plugins/instance/ec2/index.js')).createEc2Plugin({
      logger,
      clock,
      ...withoutUndefined(config),
    }),
});

/** `exactOptionalPropertyTypes`: zod's optional keys may hold undefined; the options may not. */
function withoutUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
