import { z } from 'zod';
import type { JsonValue } from '../spi/index.js';

// Zod schemas for the plugin wire protocol (ARCHITECTURE.md §3), in InfraKit's field names.
// They are lenient the way Go's encoding/json is: a missing or null map, list or string is
// accepted here and defaulted by the codec in rpc/, so plugins written for InfraKit keep working.

/**
 * Any JSON value. Bodies reach these schemas straight from JSON.parse, so every value is JSON by
 * construction; re-walking large Properties trees would only cost time.
 */
export const wireJson = z.custom<JsonValue>(() => true);

/**
 * Tag limits on the wire. Platforms allow far less (EC2: 50 tags, 128-character keys,
 * 256-character values); these only stop a hostile or broken plugin from making every status
 * read heavy. A map over a limit is refused whole, never cut down silently.
 */
export const MAX_TAGS = 256;
export const MAX_TAG_KEY_CHARS = 512;
export const MAX_TAG_VALUE_CHARS = 4096;

export const wireTags = z
  .record(z.string(), z.string())
  .superRefine((tags, ctx) => {
    const entries = Object.entries(tags);
    if (entries.length > MAX_TAGS) {
      ctx.addIssue({ code: 'custom', message: `${entries.length} tags; the limit is ${MAX_TAGS}` });
      return;
    }
    for (const [key, value] of entries) {
      if (key.length > MAX_TAG_KEY_CHARS) {
        const message = `a key of ${key.length} characters; the limit is ${MAX_TAG_KEY_CHARS}`;
        ctx.addIssue({ code: 'custom', message });
      } else if (value.length > MAX_TAG_VALUE_CHARS) {
        const message = `a value of ${value.length} characters; the limit is ${MAX_TAG_VALUE_CHARS}`;
        ctx.addIssue({ code: 'custom', path: [key], message });
      }
    }
  })
  .nullish();
const wireType = z.string().nullish();
const ok = z.object({ Type: wireType, OK: z.boolean().nullish() });

export const wireAttachment = z.object({ ID: z.string(), Type: z.string().nullish() });

export const wireInstanceSpec = z.object({
  Properties: wireJson.nullish(),
  Tags: wireTags,
  Init: z.string().nullish(),
  LogicalID: z.string().nullish(),
  Attachments: z.array(wireAttachment).nullish(),
});
export type WireInstanceSpec = z.infer<typeof wireInstanceSpec>;

export const wireInstanceDescription = z.object({
  ID: z.string(),
  LogicalID: z.string().nullish(),
  Tags: wireTags,
  Properties: wireJson.nullish(),
  // Tend's extensions; InfraKit plugins never send them. Lenient: a value of another shape is
  // ignored by the codec rather than failing the whole describe.
  CreatedAt: z.unknown().optional(),
  PlatformHealth: z.unknown().optional(),
  PlatformStatus: z.unknown().optional(),
  /** `{PID, ContainerID, Address, Host}`, each optional. */
  Location: z.unknown().optional(),
});
export type WireInstanceDescription = z.infer<typeof wireInstanceDescription>;

/** 0 unknown, 1 healthy, 2 unhealthy. */
export const wireHealth = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** `{Size}` for cattle, `{LogicalIDs}` for pets; InfraKit sends both keys, one of them empty. */
export const wireAllocation = z.object({
  Size: z.number().int().min(0).nullish(),
  LogicalIDs: z.array(z.string()).nullish(),
});
export type WireAllocation = z.infer<typeof wireAllocation>;

export const wireIndex = z.object({ Group: z.string().nullish(), Sequence: z.number().int().nullish() });

export const wireApi = z.object({ Name: z.string(), Version: z.string() });
export const handshakeResult = z.object({ APIs: z.array(wireApi).nullish() });

// Instance.*
export const instanceValidateParams = z.object({ Type: wireType, Properties: wireJson.nullish() });
export const instanceValidateResult = ok;
/** Tend's leader epoch on mutating calls (optional, not InfraKit's): a plugin may fence on it. */
const wireEpoch = z.number().int().nonnegative().nullish();
export const instanceProvisionParams = z.object({ Type: wireType, Spec: wireInstanceSpec, Epoch: wireEpoch });
export const instanceProvisionResult = z.object({ Type: wireType, ID: z.string().nullish() });
export const instanceLabelParams = z.object({
  Type: wireType,
  Instance: z.string(),
  Labels: wireTags,
  Epoch: wireEpoch,
});
export const instanceLabelResult = ok;
export const instanceDestroyParams = z.object({
  Type: wireType,
  Instance: z.string(),
  Context: z.object({ Reason: z.string().nullish() }).nullish(),
  Epoch: wireEpoch,
});
export const instanceDestroyResult = ok;
export const instanceDescribeParams = z.object({
  Type: wireType,
  Tags: wireTags,
  Properties: z.boolean().nullish(),
  Epoch: wireEpoch,
});
/** `Instance.Logs`, Tend's extension (docs/protocol.md): the tail of an instance's output. */
export const instanceLogsParams = z.object({
  Type: wireType,
  Instance: z.string(),
  TailBytes: z.number().int().nonnegative().nullish(),
  /** ms since the epoch. */
  Since: z.number().nonnegative().nullish(),
});
export const instanceLogsResult = z.object({ Type: wireType, Text: z.string().nullish() });
export const instanceDescribeResult = z.object({
  Type: wireType,
  Descriptions: z.array(wireInstanceDescription).nullish(),
});

// Flavor.*
export const flavorValidateParams = z.object({
  Type: wireType,
  Properties: wireJson.nullish(),
  Allocation: wireAllocation.nullish(),
});
export const flavorValidateResult = ok;
export const flavorPrepareParams = z.object({
  Type: wireType,
  Properties: wireJson.nullish(),
  Spec: wireInstanceSpec,
  Allocation: wireAllocation.nullish(),
  Index: wireIndex.nullish(),
});
export const flavorPrepareResult = z.object({ Type: wireType, Spec: wireInstanceSpec });
export const flavorInstanceParams = z.object({
  Type: wireType,
  Properties: wireJson.nullish(),
  Instance: wireInstanceDescription,
});
export const flavorHealthyResult = z.object({ Type: wireType, Health: wireHealth });
export const flavorDrainResult = ok;

// Group.* — Tend adds Health/Config/CreatedAt to each instance; InfraKit clients ignore them.
export const wireGroupInstance = wireInstanceDescription.extend({
  Health: wireHealth.nullish(),
  Config: z.string().nullish(),
  CreatedAt: z.number().nullish(),
});
/**
 * Group/0.1.1 (InfraKit after v0.5) adds `Name` to every request: the plugin name the caller
 * addressed, `group` or `group/<ID>`. Group/0.1.0 callers send none.
 */
const wireGroupName = z.string().nullish();
export const groupIdParams = z.object({ Name: wireGroupName, ID: z.string() });
export const groupNameParams = z.object({ Name: wireGroupName });
/**
 * InfraKit's `types.Path` travels as one string, `specs/cattle` (`.` for the top: its
 * `MarshalJSON`); a list of segments is taken too. Go sends `null` for an empty list.
 */
export const wirePath = z.union([z.string().transform((path) => path.split('/')), z.array(z.string())]);
export const metadataPathParams = z.object({ Path: wirePath.nullish() });
/** `Updatable.Changes`: each `Value` is InfraKit's `*types.Any`, any JSON. */
export const updatableChangesParams = z.object({
  Changes: z.array(z.object({ Path: wirePath.nullish(), Value: wireJson.nullish() })).nullish(),
});
export const updatableCommitParams = z.object({ Proposed: wireJson.nullish(), Cas: z.string() });
export const groupCommitParams = z.object({
  Name: wireGroupName,
  Spec: z.object({ ID: z.string(), Properties: wireJson.nullish() }),
  Pretend: z.boolean().nullish(),
});
export const groupCommitResult = z.object({ Details: z.string().nullish() });
export const groupOkResult = z.object({ OK: z.boolean().nullish() });
export const groupDescribeResult = z.object({
  Description: z.object({
    Instances: z.array(wireGroupInstance).nullish(),
    Converged: z.boolean().nullish(),
  }),
});
export const groupInspectResult = z.object({
  Groups: z.array(z.object({ ID: z.string(), Properties: wireJson.nullish() })).nullish(),
});
export const groupDestroyInstancesParams = z.object({
  Name: wireGroupName,
  ID: z.string(),
  Instances: z.array(z.string()).nullish(),
});
export const groupSizeResult = z.object({ Size: z.number().int().min(0) });
export const groupSetSizeParams = z.object({
  Name: wireGroupName,
  ID: z.string(),
  Size: z.number().int().min(0),
});
