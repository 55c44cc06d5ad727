/** Basic values shared by every contract. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type InstanceId = Brand<string, 'InstanceId'>;
export type LogicalId = Brand<string, 'LogicalId'>;
export type GroupId = Brand<string, 'GroupId'>;

export const instanceId = (value: string): InstanceId => value as InstanceId;
export const logicalId = (value: string): LogicalId => value as LogicalId;
export const groupId = (value: string): GroupId => value as GroupId;

export type Tags = Readonly<Record<string, string>>;

/** Options every long-running call accepts. */
export interface CallOptions {
  signal?: AbortSignal;
  /**
   * The caller's leader epoch, on mutating calls (provision, destroy, label). A plugin that has
   * already seen a higher one refuses with kind `fenced`: the caller's term is over. Absent from
   * callers that are not Tend (an InfraKit CLI); such calls are not fenced.
   */
  epoch?: number;
}
