import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FrameScanner, type FrameScannerOptions } from './frame-scanner.ts';
import { closePayload, encodeFrame, splitAt, type TestFrame } from './test-frames.ts';

const text = 0x1;
const binary = 0x2;
const continuation = 0x0;
const close = 0x8;
const ping = 0x9;
const pong = 0xa;

const scanner = (options: Partial<FrameScannerOptions> = {}) =>
  new FrameScanner({ masked: true, maxMessageBytes: 1 << 20, ...options });

/** Feeds the chunks; the first violation, or null. */
function feed(s: FrameScanner, chunks: Uint8Array[]) {
  for (const chunk of chunks) {
    const violation = s.scan(chunk);
    if (violation) return violation;
  }
  return null;
}

const bytes = (frames: TestFrame[]) => Buffer.concat(frames.map(encodeFrame));
const byteByByte = (buf: Buffer) => [...buf].map((b) => Uint8Array.of(b));

// A message as fragments with control frames between them (§5.4: control frames may be interleaved).
const messageArb = fc.record({
  opcode: fc.constantFrom(text, binary),
  fragments: fc.array(
    fc.record({
      size: fc.oneof(
        { weight: 8, arbitrary: fc.nat(200) },
        { weight: 1, arbitrary: fc.integer({ min: 65_000, max: 70_000 }) },
      ),
      controlBefore: fc.option(fc.record({ opcode: fc.constantFrom(ping, pong), size: fc.nat(125) }), {
        nil: undefined,
      }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});
const streamArb = fc.record({
  masked: fc.boolean(),
  messages: fc.array(messageArb, { maxLength: 6 }),
  close: fc.option(fc.oneof(fc.constant(null), fc.integer({ min: 1000, max: 4999 })), { nil: undefined }),
  cuts: fc.array(fc.nat(), { maxLength: 20 }),
});

function framesOf(stream: StreamValue): TestFrame[] {
  const { masked } = stream;
  const frames: TestFrame[] = [];
  for (const message of stream.messages) {
    message.fragments.forEach((fragment, i) => {
      if (fragment.controlBefore && i > 0)
        frames.push({
          opcode: fragment.controlBefore.opcode,
          payload: Buffer.alloc(fragment.controlBefore.size, 7),
          masked,
        });
      frames.push({
        opcode: i === 0 ? message.opcode : continuation,
        payload: Buffer.alloc(fragment.size, 0x61),
        fin: i === message.fragments.length - 1,
        masked,
      });
    });
  }
  const end = stream.close;
  if (end !== undefined)
    frames.push({
      opcode: close,
      payload: end === null ? Buffer.alloc(0) : closePayload(end, 'bye'),
      masked,
    });
  return frames;
}
type StreamValue = {
  masked: boolean;
  messages: {
    opcode: number;
    fragments: { size: number; controlBefore?: { opcode: number; size: number } | undefined }[];
  }[];
  close?: number | null | undefined;
  cuts: number[];
};

describe('frame scanner', () => {
  test('counts messages and payload bytes and reads the close code, however TCP cuts the stream', () => {
    fc.assert(
      fc.property(streamArb, (stream: StreamValue) => {
        const all = bytes(framesOf(stream));
        const s = scanner({ masked: stream.masked });
        assert.equal(
          feed(
            s,
            splitAt(
              all,
              stream.cuts.map((c) => c % (all.length + 1)),
            ),
          ),
          null,
        );
        const sizes = stream.messages.flatMap((m) => m.fragments.map((f) => f.size));
        assert.equal(s.messages, stream.messages.length);
        assert.equal(
          s.payloadBytes,
          sizes.reduce((a, b) => a + b, 0),
        );
        assert.equal(s.closeCode, stream.close === undefined ? null : (stream.close ?? 1005));
        assert.equal(s.atFrameBoundary, true);
      }),
      { numRuns: 300 },
    );
  });

  test('byte by byte, with all three length forms, masked and unmasked', () => {
    for (const masked of [true, false]) {
      for (const [size, lengthForm] of [
        [5, 7],
        [5, 16],
        [300, 16],
        [5, 64],
        [70_000, 64],
      ] as const) {
        const s = scanner({ masked });
        const frame = encodeFrame({ opcode: binary, payload: Buffer.alloc(size), masked, lengthForm });
        const chunks = byteByByte(frame);
        assert.equal(feed(s, chunks.slice(0, -1)), null);
        assert.equal(s.atFrameBoundary, false, 'inside the frame');
        assert.equal(feed(s, chunks.slice(-1)), null);
        assert.equal(s.atFrameBoundary, true);
        assert.deepEqual([s.messages, s.payloadBytes], [1, size]);
      }
    }
  });

  test('the close code of a masked client frame is unmasked, split across chunks', () => {
    for (const code of [1000, 1001, 4401, 3000]) {
      const s = scanner();
      const frame = encodeFrame({ opcode: close, payload: closePayload(code, 'x'), masked: true });
      assert.equal(feed(s, byteByByte(frame)), null);
      assert.equal(s.closeCode, code);
    }
  });

  test('oversized messages are refused with 1009, a fragmented one by its total', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        (fragments, cuts, masked) => {
          const max = 1000;
          const size = Math.floor(max / fragments) + 1; // the fragments together are just over
          const frames = Array.from({ length: fragments }, (_, i) => ({
            opcode: i === 0 ? text : continuation,
            payload: Buffer.alloc(size),
            fin: i === fragments - 1,
            masked,
          }));
          const all = bytes(frames);
          const s = scanner({ masked, maxMessageBytes: max });
          assert.equal(
            feed(
              s,
              splitAt(
                all,
                cuts.map((c) => c % (all.length + 1)),
              ),
            )?.code,
            1009,
          );
          assert.equal(s.atFrameBoundary, false, 'a scanner that refused is never at a boundary');
        },
      ),
    );
    // Exactly the limit passes; a 64-bit length past 2^53 is refused too.
    assert.equal(
      feed(scanner({ maxMessageBytes: 10 }), [
        encodeFrame({ opcode: text, payload: Buffer.alloc(10), masked: true }),
      ]),
      null,
    );
    const huge = Buffer.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    assert.equal(feed(scanner(), [huge])?.code, 1009);
    // A new message starts a new count.
    const twice = bytes([0, 1].map(() => ({ opcode: text, payload: Buffer.alloc(8), masked: true })));
    assert.equal(feed(scanner({ maxMessageBytes: 10 }), [twice]), null);
  });

  test('a message refused by the rate is refused with 1008, before its bytes count', () => {
    let left = 2;
    const s = scanner({ admitMessage: () => left-- > 0 });
    const three = bytes([0, 1, 2].map(() => ({ opcode: text, payload: Buffer.alloc(3), masked: true })));
    assert.equal(feed(s, [three])?.code, 1008);
    assert.deepEqual([s.messages, s.payloadBytes], [2, 6]);
  });

  test('malformed frames are refused with 1002, even byte by byte', () => {
    const m = { masked: true };
    const cases: [string, TestFrame[], Partial<FrameScannerOptions>?][] = [
      ['reserved bits', [{ opcode: text, payload: Buffer.alloc(1), rsv: 4, ...m }]],
      ['reserved data opcode', [{ opcode: 0x3, payload: Buffer.alloc(1), ...m }]],
      ['reserved control opcode', [{ opcode: 0xb, payload: Buffer.alloc(1), ...m }]],
      ['fragmented control frame', [{ opcode: ping, payload: Buffer.alloc(1), fin: false, ...m }]],
      ['control frame over 125 bytes', [{ opcode: ping, payload: Buffer.alloc(126), ...m }]],
      ['continuation with no message', [{ opcode: continuation, payload: Buffer.alloc(1), ...m }]],
      [
        'a new message inside a fragmented one',
        [
          { opcode: text, payload: Buffer.alloc(1), fin: false, ...m },
          { opcode: text, payload: Buffer.alloc(1), ...m },
        ],
      ],
      ['an unmasked client frame', [{ opcode: text, payload: Buffer.alloc(1) }]],
      [
        'a masked server frame',
        [{ opcode: text, payload: Buffer.alloc(1), masked: true }],
        { masked: false },
      ],
      ['a close frame with a one-byte body', [{ opcode: close, payload: Buffer.alloc(1), ...m }]],
    ];
    for (const [name, frames, options] of cases) {
      for (const chunks of [[bytes(frames)], byteByByte(bytes(frames))]) {
        const s = scanner(options);
        assert.equal(feed(s, chunks)?.code, 1002, name);
        assert.equal(s.scan(Buffer.alloc(0))?.code, 1002, `${name}: the scanner stays failed`);
      }
    }
    // §5.2: the top bit of a 64-bit length must be 0.
    const topBit = Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert.equal(feed(scanner(), byteByByte(topBit))?.code, 1002);
  });

  test('control frames inside a fragmented message are allowed and not counted as data', () => {
    const s = scanner();
    const all = bytes([
      { opcode: binary, payload: Buffer.alloc(4), fin: false, masked: true },
      { opcode: ping, payload: Buffer.alloc(10), masked: true },
      { opcode: continuation, payload: Buffer.alloc(4), fin: false, masked: true },
      { opcode: pong, payload: Buffer.alloc(0), masked: true },
      { opcode: continuation, payload: Buffer.alloc(4), masked: true },
    ]);
    assert.equal(feed(s, byteByByte(all)), null);
    assert.deepEqual([s.messages, s.payloadBytes, s.closeCode], [1, 12, null]);
  });
});
