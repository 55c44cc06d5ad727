import { z } from 'zod';
import { expectedGot, strictObject, wholeNumber } from '../../group/index.js';

const rate = z
  .number({ error: (issue) => expectedGot('calls per second above 0', issue.input) })
  .positive({ error: (issue) => expectedGot('calls per second above 0', issue.input) })
  .refine(Number.isFinite, { error: (issue) => expectedGot('calls per second above 0', issue.input) });

/** A section's `limits`: each number optional, over the kind's defaults. */
export const limitsSchema = strictObject({
  ratePerSec: rate.optional(),
  burst: wholeNumber(1).optional(),
  concurrency: wholeNumber(1).optional(),
});
