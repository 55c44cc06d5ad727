import { z } from 'zod';
import { TendError } from '../../../spi/index.js';

/** What an ensemble flavor (etcd, ZooKeeper) needs of its members' schema: the same for both. */
export const memberPort = z.number().int().min(1).max(65535);

/** Names end up in command lines (`--initial-cluster a=url,b=url`), paths and scripts: plain characters only. */
export const memberName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'expected a name of letters, digits, . _ -');

/**
 * The entry of `properties.members` for logical ID `name`, or `invalid_spec` naming the flavor
 * and the members it has: an ensemble's members are declared, never made up.
 */
export function declaredMember<M>(members: Readonly<Record<string, M>>, name: string, flavor: string): M {
  const member = members[name];
  if (member === undefined) {
    const known = Object.keys(members).join(', ');
    throw new TendError(
      'invalid_spec',
      `${flavor}: logical ID ${name} has no entry in properties.members (has ${known})`,
    );
  }
  return member;
}
