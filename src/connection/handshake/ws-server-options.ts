import type { IncomingMessage } from 'node:http';
import type { PerMessageDeflateOptions, ServerOptions, WebSocket } from 'ws';
import type { ResolvedChatOptions } from '../../options/resolved-options.js';

/** Fragments one message may arrive in; honest clients do not fragment small JSON at all. */
const MAX_FRAGMENTS = 1024;

/** @internal `ws`'s answer callback of `verifyClient`. */
export type VerifyClientDone = (
  verified: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string>,
) => void;

/**
 * @internal Options of the endpoint's `ws` server. `maxFragments` and `autoPong` are options of
 * the `ws` release Nest ships that its type definitions do not list yet, hence the extension.
 */
export function wsServerOptions(
  options: ResolvedChatOptions,
  verify: (request: IncomingMessage, done: VerifyClientDone) => void,
  socketClass: typeof WebSocket,
): ServerOptions & { maxFragments: number; autoPong: boolean } {
  return {
    WebSocket: socketClass,
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    maxFragments: MAX_FRAGMENTS,
    perMessageDeflate: options.perMessageDeflate as boolean | PerMessageDeflateOptions,
    // The registry tracks connections; a second Set in `ws` would only cost memory.
    clientTracking: false,
    // Pings are answered by the gateway, under the rate limit, so a ping flood gets no pongs.
    autoPong: false,
    verifyClient: (info, done) => verify(info.req, done),
  };
}
