import type { IncomingMessage } from 'node:http';
import type {
  AuthenticationResult,
  Authenticator,
  ChatPrincipal,
} from '../../auth/authenticator.js';
import { isValidUserId } from '../../auth/user-id.js';
import type { MaybePromise } from '../../common/maybe-promise.js';

/** @internal The authenticator did not answer within the handshake timeout. */
export class AuthenticationTimeout extends Error {}

/** @internal What the authenticator decided: a principal, or why there is none. */
export type Authentication =
  { principal: ChatPrincipal } | { refused: 'no credentials' | 'invalid user id' };

/**
 * @internal Runs the application's authenticator on an upgrade request and checks that it named
 * a usable user id. A synchronous authenticator is answered synchronously: no promise, no timer,
 * since nothing can make it late. An asynchronous one is bounded by `timeoutMs`.
 * @throws whatever a synchronous authenticator throws; the promise rejects with
 * AuthenticationTimeout when an asynchronous one does not answer in time, or with what it rejects
 * with.
 */
export function authenticate(
  authenticator: Authenticator,
  request: IncomingMessage,
  timeoutMs: number,
): MaybePromise<Authentication> {
  const answer = authenticator(request);
  if (!isThenable(answer)) return decide(answer);
  return settle(Promise.resolve(answer), timeoutMs);
}

/**
 * One promise and one timer per handshake, settled by whichever comes first: this runs for every
 * handshake of an asynchronous authenticator, where a race of promises costs several more.
 */
function settle(answer: Promise<AuthenticationResult>, timeoutMs: number): Promise<Authentication> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new AuthenticationTimeout()), timeoutMs);
    answer.then(
      (result) => {
        clearTimeout(timer);
        try {
          resolve(decide(result));
        } catch (err) {
          reject(err);
        }
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function decide(result: AuthenticationResult): Authentication {
  const principal = toPrincipal(result);
  if (!principal) return { refused: 'no credentials' };
  if (!isValidUserId(principal.user)) return { refused: 'invalid user id' };
  return { principal };
}

function isThenable(value: unknown): value is PromiseLike<AuthenticationResult> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function toPrincipal(result: AuthenticationResult): ChatPrincipal | undefined {
  if (typeof result === 'string') return { user: result };
  if (result && typeof result === 'object') return result;
  return undefined;
}
