// The splice on in-memory streams: what reaches each side, byte for byte.
import assert from 'node:assert/strict';
import { duplexPair, type Duplex } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FrameScanner } from './frame-scanner.ts';
import { Splice, type SpliceLimits } from './splice.ts';
import { closePayload, encodeFrame, splitAt } from './test-frames.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

function rig(limits: Partial<SpliceLimits> = {}, admit = () => true) {
  const [browserPeer, browserEnd] = duplexPair();
  const [upstreamEnd, agentPeer] = duplexPair();
  const finished: number[] = [];
  const splice = new Splice(browserEnd, upstreamEnd, {
    limits: { maxMessageBytes: 1 << 20, highWaterBytes: 1 << 20, hardLimitBytes: 8 << 20, ...limits },
    admitBrowserMessage: admit,
    onFinish: (code) => finished.push(code),
    onUpstreamError: () => {},
  });
  const collect = (peer: Duplex) => {
    const chunks: Buffer[] = [];
    peer.on('data', (chunk: Buffer) => chunks.push(chunk));
    peer.on('error', () => {});
    return () => Buffer.concat(chunks);
  };
  return {
    splice,
    browserPeer,
    agentPeer,
    finished,
    atAgent: collect(agentPeer),
    atBrowser: collect(browserPeer),
  };
}

/** Reads frames back: [opcode, unmasked payload, masked] each. */
function framesIn(bytes: Buffer): [number, Buffer, boolean][] {
  const frames: [number, Buffer, boolean][] = [];
  let i = 0;
  while (i < bytes.length) {
    const masked = ((bytes[i + 1] ?? 0) & 0x80) !== 0;
    let length = (bytes[i + 1] ?? 0) & 0x7f;
    let at = i + 2;
    if (length === 126) [length, at] = [bytes.readUInt16BE(at), at + 2];
    else if (length === 127) [length, at] = [Number(bytes.readBigUInt64BE(at)), at + 8];
    const key = masked ? bytes.subarray(at, at + 4) : null;
    if (key) at += 4;
    const payload = Buffer.from(bytes.subarray(at, at + length));
    if (key) for (let k = 0; k < payload.length; k++) payload[k] = (payload[k] ?? 0) ^ (key[k & 3] ?? 0);
    frames.push([(bytes[i] ?? 0) & 0x0f, payload, masked]);
    i = at + length;
  }
  return frames;
}

const message = (size: number, masked: boolean) =>
  encodeFrame({ opcode: 0x2, payload: Buffer.alloc(size, size & 0xff), masked });

describe('splice', () => {
  test("the instance receives the browser's bytes unchanged, then at most one close frame of ours", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.constantFrom(1000, 1001, 1013, 4401, 4408),
        fc.integer({ min: 1000, max: 4000 }),
        async (sizes, cuts, code, maxMessageBytes) => {
          const r = rig({ maxMessageBytes });
          r.splice.open(Buffer.alloc(0), Buffer.alloc(0));
          const sent = Buffer.concat(sizes.map((size) => message(size, true)));
          for (const chunk of splitAt(
            sent,
            cuts.map((c) => c % (sent.length + 1)),
          ))
            r.browserPeer.write(chunk);
          await tick();
          r.splice.finish(code, 'test');
          await tick();
          const received = r.atAgent();
          const tooBig = sizes.findIndex((size) => size > maxMessageBytes);
          if (tooBig >= 0) {
            // The oversized message stops the pipe (1009) and the instance is cut: it gets no frame of ours.
            assert.equal(r.finished[0], 1009);
            assert.ok(
              sent.subarray(0, received.length).equals(received),
              'a prefix of what the browser sent',
            );
            return;
          }
          assert.deepEqual(r.finished, [code]);
          assert.ok(received.subarray(0, sent.length).equals(sent), 'everything the browser sent, unchanged');
          const ours = framesIn(received.subarray(sent.length));
          assert.equal(ours.length, 1, 'one frame of our own');
          const [opcode, payload, masked] = ours[0] ?? [];
          assert.deepEqual([opcode, masked, payload?.readUInt16BE(0)], [0x8, true, code]);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('a close handshake passes through both ways and is mirrored, with no frame of ours', async () => {
    const r = rig();
    r.splice.open(Buffer.alloc(0), Buffer.alloc(0));
    const fromBrowser = encodeFrame({ opcode: 0x8, payload: closePayload(1000), masked: true });
    const fromAgent = encodeFrame({ opcode: 0x8, payload: closePayload(1000) });
    r.browserPeer.write(fromBrowser);
    await tick();
    r.agentPeer.end(fromAgent);
    await tick();
    assert.deepEqual(r.finished, [1000]);
    assert.ok(r.atAgent().equals(fromBrowser));
    assert.ok(r.atBrowser().equals(fromAgent));
  });

  test('the instance closing first decides the code the browser sees', async () => {
    const r = rig();
    r.splice.open(Buffer.alloc(0), Buffer.alloc(0));
    r.agentPeer.write(encodeFrame({ opcode: 0x8, payload: closePayload(1012) }));
    await tick();
    r.browserPeer.end(encodeFrame({ opcode: 0x8, payload: closePayload(1012), masked: true }));
    await tick();
    assert.deepEqual(r.finished, [1012]);
  });

  test('the instance vanishing mid-stream gives the browser 1011 at a frame boundary', async () => {
    const r = rig();
    r.splice.open(Buffer.alloc(0), Buffer.alloc(0));
    r.agentPeer.write(message(10, false));
    await tick();
    r.agentPeer.destroy();
    await tick();
    assert.deepEqual(r.finished, [1011]);
    const frames = framesIn(r.atBrowser());
    assert.deepEqual(
      frames.map(([opcode, payload]) => [opcode, opcode === 0x8 ? payload.readUInt16BE(0) : payload.length]),
      [
        [0x2, 10],
        [0x8, 1011],
      ],
    );
  });

  test('mid-frame, no close frame can be written: the side is cut instead', async () => {
    const r = rig();
    r.splice.open(Buffer.alloc(0), Buffer.alloc(0));
    const frame = message(100, false);
    r.agentPeer.write(frame.subarray(0, 50));
    await tick();
    r.splice.finish(4408, 'idle');
    await tick();
    assert.ok(r.atBrowser().equals(frame.subarray(0, 50)), 'nothing after the partial frame');
    assert.equal(r.browserPeer.destroyed || r.browserPeer.readableEnded, true);
  });

  test('bytes sent behind each handshake are passed on first', async () => {
    const r = rig();
    const early = message(3, true);
    const challenge = message(4, false);
    r.splice.open(early, challenge);
    await tick();
    assert.ok(r.atAgent().equals(early));
    assert.ok(r.atBrowser().equals(challenge));
  });

  test('a reader that stops reading pauses the sender; past the hard bound: 1013', async () => {
    const slow = rig({ highWaterBytes: 64 * 1024, hardLimitBytes: 1 << 20 });
    slow.browserPeer.pause();
    slow.browserPeer.removeAllListeners('data');
    slow.splice.open(Buffer.alloc(0), Buffer.alloc(0));
    let written = 0;
    for (let i = 0; i < 64 && slow.agentPeer.write(message(16 * 1024, false)); i++) written++;
    await tick();
    assert.ok(slow.splice.browserStalledSince > 0, 'the instance side is paused');
    assert.equal(slow.finished.length, 0);
    assert.ok(written < 64, 'backpressure reached the sender');

    const bounded = rig({ highWaterBytes: 64 * 1024, hardLimitBytes: 64 * 1024 });
    bounded.browserPeer.pause();
    bounded.browserPeer.removeAllListeners('data');
    bounded.splice.open(Buffer.alloc(0), Buffer.alloc(0));
    for (let i = 0; i < 16; i++) bounded.agentPeer.write(message(16 * 1024, false));
    await tick();
    assert.deepEqual(bounded.finished, [1013]);
    const toAgent = framesIn(bounded.atAgent());
    assert.deepEqual(
      toAgent.map(([opcode, payload]) => [opcode, payload.readUInt16BE(0)]),
      [[0x8, 1013]],
    );
  });

  test('a browser breaking the rate or the protocol is told why; the instance is cut', async () => {
    for (const [admit, frame, code] of [
      [() => false, message(1, true), 1008],
      [() => true, message(1, false), 1002],
    ] as const) {
      const r = rig({}, admit);
      r.splice.open(Buffer.alloc(0), Buffer.alloc(0));
      r.browserPeer.write(frame);
      await tick();
      assert.deepEqual(r.finished, [code]);
      assert.equal(r.atAgent().length, 0, 'the instance got nothing');
      const toBrowser = framesIn(r.atBrowser());
      assert.deepEqual(
        toBrowser.map(([opcode, payload, masked]) => [opcode, payload.readUInt16BE(0), masked]),
        [[0x8, code, false]],
      );
    }
  });

  test('counts match an independent scan of what passed', async () => {
    const r = rig();
    r.splice.open(Buffer.alloc(0), Buffer.alloc(0));
    for (const size of [1, 200, 70_000]) r.browserPeer.write(message(size, true));
    await tick();
    const check = new FrameScanner({ masked: true, maxMessageBytes: 1 << 20 });
    assert.equal(check.scan(r.atAgent()), null);
    assert.deepEqual(
      [r.splice.fromBrowser.messages, r.splice.fromBrowser.payloadBytes],
      [check.messages, check.payloadBytes],
    );
    assert.deepEqual([check.messages, check.payloadBytes], [3, 70_201]);
  });
});
