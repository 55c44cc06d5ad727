import { applyStatusDelta } from './status-delta.js';
import type { SequencedEvent, StatusDelta, StatusView } from './views.js';

export interface StreamHandlers {
  onEvent?: (event: SequencedEvent) => void;
  onStatus?: (status: StatusView) => void;
  /** A followed log's new text (`GET …/instances/:id/logs?follow=1`). */
  onLog?: (text: string) => void;
  /** The server's last word before it ends a stream on a failure. */
  onError?: (error: { kind?: unknown; message?: unknown }) => void;
}

/** Parses a `text/event-stream` body (the subset the manager sends) and dispatches each message. */
export async function readEventStream(
  body: AsyncIterable<Uint8Array | string>,
  handlers: StreamHandlers,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  // The status as the last `status` and the `status-delta`s after it make it.
  const held: { status?: StatusView } = {};
  try {
    for await (const chunk of body) {
      buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        dispatch(buffer.slice(0, end), handlers, held);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  } catch (error) {
    if ((error as Error).name === 'AbortError') return; // the caller stopped following
    throw error;
  }
}

function dispatch(message: string, handlers: StreamHandlers, held: { status?: StatusView }): void {
  let type = 'message';
  const data: string[] = [];
  for (const line of message.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return;
  const value: unknown = JSON.parse(data.join('\n'));
  if (type === 'group-event') handlers.onEvent?.(value as SequencedEvent);
  else if (type === 'status') {
    held.status = value as StatusView;
    handlers.onStatus?.(held.status);
  } else if (type === 'status-delta') {
    // Never before a whole status on a stream; one without it is dropped, not guessed at.
    if (held.status === undefined) return;
    held.status = applyStatusDelta(held.status, value as StatusDelta);
    handlers.onStatus?.(held.status);
  } else if (type === 'log') handlers.onLog?.(String((value as { text?: unknown }).text ?? ''));
  else if (type === 'error')
    handlers.onError?.((value as { error?: { kind?: unknown; message?: unknown } }).error ?? {});
}
