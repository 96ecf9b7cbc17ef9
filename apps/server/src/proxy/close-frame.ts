import { randomFillSync } from 'node:crypto';

/**
 * The one frame the proxy ever writes on its own: a close frame (RFC 6455 §5.5.1) with a status code and
 * an optional short reason. Frames towards the instance are client frames and must be masked with a
 * fresh key (§5.3); frames towards the browser are server frames and must not be (§5.1).
 */
export function encodeCloseFrame(code: number, reason: string, masked: boolean): Buffer {
  // §5.5: a control frame's payload is at most 125 bytes, 2 of which are the code. Reasons are our own
  // short ASCII phrases, so the cut never splits a character.
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const length = 2 + text.length;
  const header = masked ? 6 : 2;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x88; // FIN + opcode 0x8 (close)
  frame[1] = (masked ? 0x80 : 0) | length;
  frame.writeUInt16BE(code, header);
  text.copy(frame, header + 2);
  if (masked) {
    randomFillSync(frame, 2, 4);
    for (let i = 0; i < length; i++) frame[header + i] = (frame[header + i] ?? 0) ^ (frame[2 + (i & 3)] ?? 0);
  }
  return frame;
}
