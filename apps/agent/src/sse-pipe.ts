// The HTTP pipe to the gateway's OpenAI-compatible endpoint. The request body is bounded and forwarded with
// the gateway token as bearer; the response streams back chunk by chunk as it arrives (SSE), never buffered.
import crypto from 'node:crypto';
import http from 'node:http';
import type { Log } from './logger.ts';
import { errorCodeOf } from './logger.ts';
import { readBody, rejectTooLarge, sendError } from './http-util.ts';

export type SsePipe = ReturnType<typeof createSsePipe>;

// Only these request headers reach the gateway; x-openclaw-session-key selects the conversation (NOTES §4).
const REQUEST_HEADERS = ['content-type', 'accept', 'x-openclaw-session-key'];
const RESPONSE_HEADERS = ['content-type', 'cache-control'];

function pick(headers: http.IncomingHttpHeaders, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

export function createSsePipe(deps: {
  gatewayUrl: string;
  gatewayToken: string;
  maxPayloadBytes: number;
  log: Log;
  now: () => number;
}) {
  const target = new URL('/v1/chat/completions', deps.gatewayUrl);

  return async function handleChatCompletions(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const connId = crypto.randomBytes(8).toString('hex');
    const started = deps.now();
    const body = await readBody(req, deps.maxPayloadBytes);
    if (body === undefined) return rejectTooLarge(res);
    let bytesOut = 0;

    const upstream = http.request(target, {
      method: 'POST',
      headers: {
        ...pick(req.headers, REQUEST_HEADERS),
        'content-length': String(body.length),
        authorization: `Bearer ${deps.gatewayToken}`,
      },
    });
    // The client went away: stop the upstream turn from streaming into nowhere.
    res.on('close', () => upstream.destroy());
    upstream.on('response', (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, pick(upstreamRes.headers, RESPONSE_HEADERS));
      res.flushHeaders();
      upstreamRes.on('data', (chunk: Buffer) => {
        bytesOut += chunk.length;
        if (!res.write(chunk)) {
          upstreamRes.pause();
          res.once('drain', () => upstreamRes.resume());
        }
      });
      upstreamRes.on('end', () => {
        res.end();
        deps.log({
          event: 'sse.closed',
          connId,
          status: upstreamRes.statusCode,
          bytesIn: body.length,
          bytesOut,
          ms: deps.now() - started,
        });
      });
      upstreamRes.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      deps.log({
        event: 'sse.upstream_error',
        connId,
        errorCode: errorCodeOf(err),
        ms: deps.now() - started,
      });
      if (!res.headersSent) sendError(res, 502, 'gateway_unavailable');
      else res.destroy();
    });
    upstream.end(body);
  };
}
