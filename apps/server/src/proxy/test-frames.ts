// Test support: builds RFC 6455 frames (§5.2) the way a client or a server would send them.
import { randomBytes } from 'node:crypto';

export type TestFrame = {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  masked?: boolean;
  /** Force a length form; the default is the shortest (§5.2). */
  lengthForm?: 7 | 16 | 64;
  /** Raw bits for malformed frames. */
  rsv?: number;
};

export function encodeFrame(frame: TestFrame): Buffer {
  const { payload, masked = false } = frame;
  const n = payload.length;
  const form = frame.lengthForm ?? (n <= 125 ? 7 : n <= 0xffff ? 16 : 64);
  const extra = form === 7 ? 0 : form === 16 ? 2 : 8;
  const header = Buffer.alloc(2 + extra + (masked ? 4 : 0));
  header[0] = ((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | frame.opcode;
  header[1] = (masked ? 0x80 : 0) | (form === 7 ? n : form === 16 ? 126 : 127);
  if (form === 16) header.writeUInt16BE(n, 2);
  if (form === 64) header.writeBigUInt64BE(BigInt(n), 2);
  const body = Buffer.from(payload);
  if (masked) {
    const key = randomBytes(4);
    key.copy(header, 2 + extra);
    for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (key[i & 3] ?? 0);
  }
  return Buffer.concat([header, body]);
}

export function closePayload(code: number, reason = ''): Buffer {
  const body = Buffer.alloc(2 + Buffer.byteLength(reason));
  body.writeUInt16BE(code, 0);
  body.write(reason, 2);
  return body;
}

/** Splits bytes into consecutive chunks at the given cut points (any order, duplicates ignored). */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.min(bytes.length, Math.max(0, c))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}
