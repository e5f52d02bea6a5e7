import type { IncomingMessage } from 'node:http';
import type {
  AuthenticationResult,
  Authenticator,
  ChatPrincipal,
} from '../../auth/authenticator.js';
import { isValidUserId } from '../../auth/user-id.js';
import { settlesWithin } from '../../common/settles-within.js';

/** @internal The authenticator did not answer within the handshake timeout. */
export class AuthenticationTimeout extends Error {}

/** @internal What the authenticator decided: a principal, or why there is none. */
export type Authentication =
  { principal: ChatPrincipal } | { refused: 'no credentials' | 'invalid user id' };

/**
 * @internal Runs the application's authenticator on an upgrade request, bounded by `timeoutMs`,
 * and checks that it named a usable user id.
 * @throws AuthenticationTimeout when it does not answer in time; whatever it throws itself.
 */
export async function authenticate(
  authenticator: Authenticator,
  request: IncomingMessage,
  timeoutMs: number,
): Promise<Authentication> {
  const answer = Promise.resolve().then(() => authenticator(request));
  if (!(await settlesWithin(answer, timeoutMs))) {
    answer.catch(() => undefined);
    throw new AuthenticationTimeout();
  }
  const principal = toPrincipal(await answer);
  if (!principal) return { refused: 'no credentials' };
  if (!isValidUserId(principal.user)) return { refused: 'invalid user id' };
  return { principal };
}

function toPrincipal(result: AuthenticationResult): ChatPrincipal | undefined {
  if (typeof result === 'string') return { user: result };
  if (result && typeof result === 'object') return result;
  return undefined;
}
