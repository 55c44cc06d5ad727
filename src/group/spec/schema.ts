import type { z } from 'zod';
import {
  duration,
  groupIdField,
  jsonField,
  logicalIdList,
  oneOf,
  pluginField,
  strictObject,
  wholeNumber,
} from './fields.js';

export type IsKnownPlugin = (kind: 'instance' | 'flavor', name: string) => boolean;

export const DEFAULTS = {
  health: { graceMs: 30_000, unhealthyAfterMs: 20_000, maxInFlight: 1 },
  update: { maxSurge: 1, maxUnavailable: 0, healthyForMs: 10_000, timeoutMs: 600_000, onFailure: 'rollback' },
  scaleIn: { order: 'oldest' },
} as const;

const SCALE_IN_ORDERS = ['oldest', 'newest', 'unhealthy-first'] as const;
const ON_FAILURE = ['pause', 'rollback'] as const;

/** Both keys, or neither: a group is either cattle (a size) or pets (logical IDs). */
function exactlyOne(sizeKey: string, idsKey: string) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const hasSize = value[sizeKey] !== undefined;
    const hasIds = value[idsKey] !== undefined;
    if (hasSize && hasIds) {
      ctx.addIssue({ code: 'custom', message: `expected either ${sizeKey} or ${idsKey}, not both` });
    } else if (!hasSize && !hasIds) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${sizeKey} (a whole number ≥ 0) or ${idsKey} (a list of names)`,
      });
    }
  };
}

function policySections() {
  const health = strictObject({
    grace: duration(),
    unhealthyAfter: duration(),
    maxInFlight: wholeNumber(1).optional(),
  });
  const update = strictObject({
    maxSurge: wholeNumber(0).optional(),
    maxUnavailable: wholeNumber(0).optional(),
    healthyFor: duration(),
    timeout: duration(),
    onFailure: oneOf(ON_FAILURE).optional(),
  }).superRefine((value, ctx) => {
    const surge = value.maxSurge ?? DEFAULTS.update.maxSurge;
    const unavailable = value.maxUnavailable ?? DEFAULTS.update.maxUnavailable;
    if (surge === 0 && unavailable === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'maxSurge and maxUnavailable are both 0: a rollout could never replace an instance',
      });
    }
    if (value.timeout === 0) {
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'expected a duration above 0, got 0' });
    }
  });
  const scaleIn = strictObject({ order: oneOf(SCALE_IN_ORDERS).optional() });
  return { health: health.optional(), update: update.optional(), scaleIn: scaleIn.optional() };
}

/** Tend's own camelCase shape (ARCHITECTURE.md §4). */
export function tendGroupSchema(isKnownPlugin?: IsKnownPlugin) {
  const pluginRef = (kind: 'instance' | 'flavor') =>
    strictObject(
      { plugin: pluginField(kind, isKnownPlugin), properties: jsonField() },
      'a map with plugin and properties',
    );
  return strictObject(
    {
      id: groupIdField(),
      allocation: strictObject(
        { size: wholeNumber(0).optional(), logicalIds: logicalIdList().optional() },
        'a map with size or logicalIds',
      ).superRefine(exactlyOne('size', 'logicalIds')),
      instance: pluginRef('instance'),
      flavor: pluginRef('flavor'),
      ...policySections(),
    },
    'a group (a map with id, allocation, instance and flavor)',
  );
}

/**
 * InfraKit's shape, as `Group.CommitGroup` receives it. Tend's extra policies ride along under
 * `Properties.Tend` in Tend's own camelCase form, so InspectGroups → CommitGroup loses nothing.
 */
export function infraKitGroupSchema(isKnownPlugin?: IsKnownPlugin) {
  const pluginRef = (kind: 'instance' | 'flavor') =>
    strictObject(
      { Plugin: pluginField(kind, isKnownPlugin), Properties: jsonField() },
      'a map with Plugin and Properties',
    );
  return strictObject(
    {
      ID: groupIdField(),
      Properties: strictObject(
        {
          Allocation: strictObject(
            { Size: wholeNumber(0).optional(), LogicalIDs: logicalIdList().optional() },
            'a map with Size or LogicalIDs',
          ).superRefine((value, ctx) => {
            // Go's encoder may write the zero Size next to LogicalIDs; that still means "pets".
            const size = value.Size === 0 && value.LogicalIDs !== undefined ? undefined : value.Size;
            exactlyOne('Size', 'LogicalIDs')({ Size: size, LogicalIDs: value.LogicalIDs }, ctx);
          }),
          Instance: pluginRef('instance'),
          Flavor: pluginRef('flavor'),
          Tend: strictObject(policySections(), 'a map with health, update and scaleIn').optional(),
        },
        'a map with Allocation, Instance and Flavor',
      ),
    },
    'an InfraKit group (a map with ID and Properties)',
  );
}

export type TendGroupInput = z.input<ReturnType<typeof tendGroupSchema>>;
export type TendGroupParsed = z.output<ReturnType<typeof tendGroupSchema>>;
export type InfraKitGroupParsed = z.output<ReturnType<typeof infraKitGroupSchema>>;
export type PolicySectionsParsed = Pick<TendGroupParsed, 'health' | 'update' | 'scaleIn'>;
