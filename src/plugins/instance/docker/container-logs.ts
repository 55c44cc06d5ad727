/**
 * The engine sends a container's log multiplexed when it has no TTY: frames of an 8-byte header
 * (stream, 0, 0, 0, length as big-endian u32) and the payload. A buffer that does not start with
 * a valid header is taken as raw text (a TTY container).
 */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset] ?? 255;
    if (stream > 2 || buffer[offset + 1] !== 0 || buffer[offset + 2] !== 0 || buffer[offset + 3] !== 0) {
      return offset === 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
    }
    const length = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, Math.min(buffer.length, offset + 8 + length)));
    offset += 8 + length;
  }
  if (parts.length === 0) return buffer.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

/** The last `bytes` of `text`, cut at a character boundary. */
export function tailOf(text: string, bytes: number): string {
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length <= bytes) return text;
  let start = encoded.length - bytes;
  while (start < encoded.length && ((encoded[start] ?? 0) & 0xc0) === 0x80) start += 1;
  return encoded.subarray(start).toString('utf8');
}
