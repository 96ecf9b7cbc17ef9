import type { Duplex } from 'node:stream';
import { browserCodeForUpstreamClose, closeCodes, isSendable } from './close-codes.ts';
import { encodeCloseFrame } from './close-frame.ts';
import { FrameScanner } from './frame-scanner.ts';

export type SpliceLimits = { maxMessageBytes: number; highWaterBytes: number; hardLimitBytes: number };

export type SpliceOptions = {
  limits: SpliceLimits;
  /** Asked at the start of each message from the browser (the message rate). */
  admitBrowserMessage: () => boolean;
  /** Called once, when the pipe ends, with the close code to record. */
  onFinish: (code: number) => void;
  /** The instance side failed once open (the handshake's failures are the caller's). */
  onUpstreamError: (error: Error) => void;
};

/**
 * Writes our close frame to one side and ends it, or cuts it when no frame can be written there: a cut
 * was asked for, or the bytes already sent to it stop inside a frame. A side that was already sent a close
 * frame (the other side's, passed through) gets nothing more (RFC 6455 §5.5.1).
 */
function closeSide(
  socket: Duplex,
  toSide: FrameScanner,
  code: number,
  reason: string,
  masked: boolean,
  cut: boolean,
) {
  if (cut || !socket.writable || (toSide.closeCode === null && !toSide.atFrameBoundary))
    return socket.destroy();
  // Keep reading (and dropping) so that the peer's answering close frame does not meet a full buffer.
  socket.resume();
  if (toSide.closeCode === null) socket.write(encodeCloseFrame(code, reason, masked));
  socket.end();
}

/**
 * The pipe once both handshakes are done: bytes from each side are written to the other as they arrive,
 * unchanged (browser frames are masked client frames, agent frames unmasked server frames, which is what
 * each receiver expects), while a frame scanner per direction counts, enforces the limits and watches for
 * close frames. Backpressure is the streams' own: when a receiver's queue passes the high-water mark its
 * sender is paused until 'drain'. The only bytes of our own are one close frame per side, at a frame
 * boundary.
 */
export class Splice {
  /** Frames the browser sends (client frames: masked). */
  readonly fromBrowser: FrameScanner;
  /** Frames the instance sends (server frames: unmasked). */
  readonly fromUpstream: FrameScanner;
  /** When a data message last passed, for the idle timeout. */
  lastActivity = Date.now();
  /** Since when a receiver has not drained while its sender waits (0: none waits), for the stall timeout. */
  browserStalledSince = 0;
  upstreamStalledSince = 0;
  /** When the pipe ended (0 while it runs); its sockets get a grace to close cleanly. */
  finishedAt = 0;

  private readonly browser: Duplex;
  private readonly upstream: Duplex;
  private readonly options: SpliceOptions;
  private opened = false;
  // Whoever sent the first close frame decides the code recorded (RFC 6455 §7.1.5, §7.4).
  private firstCloseFromUpstream = false;

  constructor(browser: Duplex, upstream: Duplex, options: SpliceOptions) {
    this.browser = browser;
    this.upstream = upstream;
    this.options = options;
    const { maxMessageBytes } = options.limits;
    this.fromBrowser = new FrameScanner({
      masked: true,
      maxMessageBytes,
      admitMessage: options.admitBrowserMessage,
    });
    this.fromUpstream = new FrameScanner({ masked: false, maxMessageBytes });
    // Nothing is read from the browser until the instance side is open; the kernel holds what it sends.
    browser.pause();
    const browserEnded = () => this.ended(false);
    browser.on('end', browserEnded);
    browser.on('close', browserEnded);
    browser.on('error', browserEnded);
  }

  /** Starts the flow in both directions, first passing on what each side sent behind its handshake. */
  open(browserHead: Buffer, upstreamHead: Buffer): void {
    if (this.finishedAt) return;
    this.opened = true;
    const { browser, upstream } = this;
    const upstreamEnded = () => this.ended(true);
    upstream.on('end', upstreamEnded);
    upstream.on('close', upstreamEnded);
    upstream.on('error', (error: Error) => {
      if (!this.finishedAt) this.options.onUpstreamError(error);
      upstreamEnded();
    });
    browser.on('data', (chunk: Buffer) => this.passBrowser(chunk));
    upstream.on('data', (chunk: Buffer) => this.passUpstream(chunk));
    upstream.on('drain', () => this.drained(browser, false));
    browser.on('drain', () => this.drained(upstream, true));
    if (browserHead.length > 0) this.passBrowser(browserHead);
    if (upstreamHead.length > 0) this.passUpstream(upstreamHead);
    if (this.finishedAt) return;
    browser.resume();
    upstream.resume();
  }

  /** The browser's bytes, towards the instance: nothing else is ever written there but one close frame. */
  private passBrowser(chunk: Buffer): void {
    if (this.finishedAt) return;
    if (this.scanned(this.fromBrowser, chunk, false)) this.forward(this.upstream, this.browser, chunk, false);
  }

  /** The instance's bytes, towards the browser. */
  private passUpstream(chunk: Buffer): void {
    if (this.finishedAt) return;
    if (this.scanned(this.fromUpstream, chunk, true)) this.forward(this.browser, this.upstream, chunk, true);
  }

  /** Scans a chunk; false (and the pipe finished) when it breaks a limit or the protocol. */
  private scanned(scanner: FrameScanner, chunk: Buffer, fromUpstream: boolean): boolean {
    const messages = scanner.messages;
    const hadClose = this.fromBrowser.closeCode !== null || this.fromUpstream.closeCode !== null;
    const violation = scanner.scan(chunk);
    if (violation) {
      // The offender is told why with a close frame; the other side, which did nothing wrong but may
      // hold part of the offending frame, is cut.
      this.finish(violation.code, violation.reason, fromUpstream ? 'browser' : 'upstream');
      return false;
    }
    if (scanner.messages !== messages) this.lastActivity = Date.now();
    if (!hadClose && scanner.closeCode !== null) this.firstCloseFromUpstream = fromUpstream;
    return true;
  }

  private forward(dest: Duplex, source: Duplex, chunk: Buffer, towardsBrowser: boolean): void {
    if (dest.write(chunk) || dest.writableLength < this.options.limits.highWaterBytes) return;
    if (dest.writableLength >= this.options.limits.hardLimitBytes)
      return this.finish(closeCodes.tryAgainLater, 'receiver too slow');
    // 'drain' comes when the receiver has taken all of it (write() returned false, so one is due).
    source.pause();
    if (towardsBrowser) this.browserStalledSince ||= Date.now();
    else this.upstreamStalledSince ||= Date.now();
  }

  private drained(source: Duplex, towardsBrowser: boolean): void {
    if (this.finishedAt) return;
    if (towardsBrowser) this.browserStalledSince = 0;
    else this.upstreamStalledSince = 0;
    source.resume();
  }

  /** A side's connection ended or failed: mirror a close handshake that was under way, else say what happened. */
  private ended(upstream: boolean): void {
    if (this.finishedAt) return;
    const fromBrowser = this.fromBrowser.closeCode;
    const fromUpstream = this.fromUpstream.closeCode;
    if (this.firstCloseFromUpstream && fromUpstream !== null)
      return this.finish(browserCodeForUpstreamClose(fromUpstream), '');
    if (fromBrowser !== null) return this.finish(fromBrowser, '');
    if (!upstream) return this.finish(closeCodes.abnormal, '');
    this.finish(this.opened ? closeCodes.upstreamError : closeCodes.badGateway, 'instance closed');
  }

  /**
   * Ends the pipe with `code`: each side gets a close frame (unless it already got one, passed through)
   * and is ended; a side named in `cut` is cut at once. Idempotent.
   */
  finish(code: number, reason: string, cut?: 'browser' | 'upstream'): void {
    if (this.finishedAt) return;
    this.finishedAt = Date.now();
    const sendable = isSendable(code) ? code : closeCodes.normal;
    closeSide(this.browser, this.fromUpstream, sendable, reason, false, cut === 'browser');
    if (this.opened) closeSide(this.upstream, this.fromBrowser, sendable, '', true, cut === 'upstream');
    else this.upstream.destroy();
    this.options.onFinish(code);
  }

  /** Past the grace after finishing: whatever has not closed is cut, freeing what was queued for it. */
  destroy(): void {
    this.browser.destroy();
    this.upstream.destroy();
  }

  get closed(): boolean {
    return this.browser.destroyed && this.upstream.destroyed;
  }
}
