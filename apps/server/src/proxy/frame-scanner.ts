/**
 * An incremental RFC 6455 frame-header reader for one direction of the pipe. It is fed the bytes as they
 * pass, in whatever pieces TCP delivers them, and reads only what the limits need: each frame's header
 * (§5.2), and the two status bytes of a close frame (§5.5.1). Payloads are skipped, never copied or
 * decoded, so the bytes can be forwarded verbatim.
 */
import { closeCodes } from './close-codes.ts';

export type ScanViolation = { code: number; reason: string };

export type FrameScannerOptions = {
  /** Client-to-server frames are masked and server-to-client frames are not (§5.1, §5.3). */
  masked: boolean;
  /** The largest data message, counting every fragment of a fragmented one. */
  maxMessageBytes: number;
  /** Asked at the start of each data message; false refuses it (the message rate). */
  admitMessage?: () => boolean;
};

const opcodes = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
// §5.2: 2 bytes, then a 16- or 64-bit extended length, then a 4-byte masking key.
const maxHeaderBytes = 14;
// §5.2: the most significant bit of a 64-bit length must be 0; past 2^53 a number would lose precision,
// and such a length is over any limit anyway.
const maxSafeHigh = 0x1f_ffff;

const protocolError = (reason: string): ScanViolation => ({ code: closeCodes.protocolError, reason });

export class FrameScanner {
  /** Complete data messages seen (counted at the header of their final frame). */
  messages = 0;
  /** Payload bytes of data frames seen; control frames are not counted. */
  payloadBytes = 0;
  /** The status code of the first close frame seen: 1005 when it carried none (§7.1.5), null before. */
  closeCode: number | null = null;

  private readonly options: FrameScannerOptions;
  // A header split across chunks is gathered here; a header that arrives whole is read in place.
  private readonly header = new Uint8Array(maxHeaderBytes);
  private headerHave = 0;
  private remaining = 0;
  private inMessage = false;
  private messageBytes = 0;
  // While a close frame's status code is being read: how many of its two bytes are still to come.
  private codeBytesLeft = 0;
  private payloadOffset = 0;
  private code = 0;
  private mask = 0;
  private failed: ScanViolation | null = null;

  constructor(options: FrameScannerOptions) {
    this.options = options;
  }

  /** True between frames: a frame of our own (a close) may be inserted here without corrupting the stream. */
  get atFrameBoundary(): boolean {
    return this.headerHave === 0 && this.remaining === 0 && this.failed === null;
  }

  /**
   * Reads one more piece of the stream. Returns null when every frame begun so far is acceptable, or the
   * violation (and the close code it calls for) at the first frame that is not; the scanner then stops.
   */
  scan(chunk: Uint8Array): ScanViolation | null {
    if (this.failed) return this.failed;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - i);
        if (this.codeBytesLeft > 0) this.readCode(chunk, i, take);
        i += take;
        this.remaining -= take;
        continue;
      }
      let violation: ScanViolation | null;
      if (this.headerHave === 0 && n - i >= 2 && n - i >= headerLength(chunk[i + 1] ?? 0)) {
        // The common case: the whole header is in this chunk.
        violation = this.frame(chunk, i);
        i += headerLength(chunk[i + 1] ?? 0);
      } else {
        const byte = chunk[i++] ?? 0;
        this.header[this.headerHave++] = byte;
        if (this.headerHave < 2) continue;
        const length = headerLength(this.header[1] ?? 0);
        // Refuse a bad first two bytes at once rather than wait for the rest of the header.
        violation = this.headerHave === 2 ? this.check(this.header[0] ?? 0, this.header[1] ?? 0) : null;
        if (!violation && this.headerHave < length) continue;
        if (!violation) violation = this.frame(this.header, 0);
        this.headerHave = 0;
      }
      if (violation) {
        this.failed = violation;
        return violation;
      }
    }
    return null;
  }

  /** What the first two header bytes alone can show to be wrong (§5.2, §5.4, §5.5, §5.1/§5.3). */
  private check(b0: number, b1: number): ScanViolation | null {
    if (b0 & 0x70) return protocolError('reserved bits set with no extension negotiated');
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if (opcode >= 0x8) {
      if (opcode > opcodes.pong) return protocolError('reserved control opcode');
      if (!fin) return protocolError('fragmented control frame');
      if ((b1 & 0x7f) > 125) return protocolError('control frame over 125 bytes');
    } else if (opcode === opcodes.continuation) {
      if (!this.inMessage) return protocolError('continuation outside a message');
    } else if (opcode === opcodes.text || opcode === opcodes.binary) {
      if (this.inMessage) return protocolError('new message inside a fragmented one');
    } else return protocolError('reserved data opcode');
    if (((b1 & 0x80) !== 0) !== this.options.masked)
      return protocolError(this.options.masked ? 'unmasked client frame' : 'masked server frame');
    return null;
  }

  /** A complete header at buf[at]: checks it, applies the limits, and counts the frame. */
  private frame(buf: Uint8Array, at: number): ScanViolation | null {
    const b0 = buf[at] ?? 0;
    const b1 = buf[at + 1] ?? 0;
    const checked = this.check(b0, b1);
    if (checked) return checked;
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let next = at + 2;
    if (length === 126) {
      length = ((buf[next] ?? 0) << 8) | (buf[next + 1] ?? 0);
      next += 2;
    } else if (length === 127) {
      const high = readUint32(buf, next);
      if (high > 0x7fff_ffff) return protocolError('64-bit length with the top bit set');
      length = high > maxSafeHigh ? Number.MAX_SAFE_INTEGER : high * 2 ** 32 + readUint32(buf, next + 4);
      next += 8;
    }
    if (opcode === opcodes.close) {
      if (length === 1) return protocolError('close frame with a one-byte body');
      if (this.closeCode === null) {
        this.mask = this.options.masked ? readUint32(buf, next) : 0;
        if (length === 0) this.closeCode = closeCodes.noStatus;
        else {
          this.codeBytesLeft = 2;
          this.payloadOffset = 0;
          this.code = 0;
        }
      }
    } else if (opcode < 0x8) {
      if (opcode !== opcodes.continuation) {
        if (this.options.admitMessage && !this.options.admitMessage())
          return { code: closeCodes.policy, reason: 'message rate exceeded' };
        this.messageBytes = 0;
      }
      this.messageBytes += length;
      if (this.messageBytes > this.options.maxMessageBytes)
        return { code: closeCodes.tooBig, reason: 'message too big' };
      this.payloadBytes += length;
      this.inMessage = !fin;
      if (fin) this.messages++;
    }
    this.remaining = length;
    return null;
  }

  /** Gathers a close frame's status code, unmasking it for client frames (§5.3). */
  private readCode(chunk: Uint8Array, at: number, available: number): void {
    const take = Math.min(this.codeBytesLeft, available);
    for (let k = 0; k < take; k++, this.payloadOffset++) {
      const maskByte = (this.mask >>> (8 * (3 - (this.payloadOffset & 3)))) & 0xff;
      this.code = (this.code << 8) | ((chunk[at + k] ?? 0) ^ maskByte);
    }
    this.codeBytesLeft -= take;
    if (this.codeBytesLeft === 0) this.closeCode = this.code;
  }
}

/** The header's length, from its second byte (§5.2). */
function headerLength(b1: number): number {
  const length = b1 & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
}

function readUint32(buf: Uint8Array, at: number): number {
  return (
    (((buf[at] ?? 0) << 24) | ((buf[at + 1] ?? 0) << 16) | ((buf[at + 2] ?? 0) << 8) | (buf[at + 3] ?? 0)) >>>
    0
  );
}
