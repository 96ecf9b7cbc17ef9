import type { IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';

/**
 * Passes an upstream answer to the client as it arrives, unread and unbuffered, counting its bytes for the
 * metadata log line written when it ends. Closing the client's request ends the upstream too.
 */
export function countedRelay(
  upstream: IncomingMessage,
  signal: AbortSignal,
  onClose: (bytes: number) => void,
): ReadableStream {
  let bytes = 0;
  const counted = upstream.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    }),
  );
  counted.once('close', () => onClose(bytes));
  signal.addEventListener('abort', () => upstream.destroy());
  return Readable.toWeb(counted) as ReadableStream;
}
