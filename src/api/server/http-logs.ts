import type { IncomingMessage, ServerResponse } from 'node:http';
import { groupId, instanceId } from '../../spi/index.js';
import type { HandlerContext } from './handler-context.js';
import { authenticate, authorize } from './http-auth.js';
import { followLogs, parseLogsQuery, readLogs } from './instance-logs.js';

const LOGS_PATH =
  /^\/v1\/groups\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})\/instances\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})\/logs$/;

/** The group and instance of a logs path, or undefined when `pathname` is not one. */
export function matchLogsPath(pathname: string): { group: string; instance: string } | undefined {
  const match = LOGS_PATH.exec(pathname);
  if (match === null) return undefined;
  return { group: match[1] ?? '', instance: match[2] ?? '' };
}

/**
 * Viewers may read logs. Like the event stream, a followed log accepts `?token=`, since a
 * browser's EventSource cannot send a header. Answered by the manager asked, from its own
 * plugins: the process plugin's logs are on the machine that runs the processes.
 */
export async function serveLogs(
  ctx: HandlerContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  target: { group: string; instance: string },
): Promise<void> {
  const principal = await authenticate({
    request,
    url,
    tokens: ctx.manager.services.tokens,
    queryToken: true,
    anonymousLoopback: false,
  });
  authorize(principal, 'viewer');
  const query = parseLogsQuery(url.searchParams);
  const instance = instanceId(target.instance);
  const plugin = await ctx.manager.logsPlugin(groupId(target.group), instance);
  if (query.follow) {
    await followLogs({ request, response, plugin, instance, query, signal: ctx.closing });
    return;
  }
  const text = await readLogs(plugin, instance, query, AbortSignal.timeout(30_000));
  const body = JSON.stringify({ group: target.group, instance: target.instance, text });
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}
