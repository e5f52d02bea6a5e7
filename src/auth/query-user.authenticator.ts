import { Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Authenticator } from './authenticator.js';

/**
 * An {@link Authenticator} that believes whatever `?user=` says, so anyone can connect as anyone.
 * It exists for local development and demos only, and warns once when it is created.
 */
export function queryUserAuthenticator(): Authenticator {
  new Logger('queryUserAuthenticator').warn(
    'queryUserAuthenticator() trusts ?user= from the URL: anyone can connect as any user. Use it for local development only; use jwtAuthenticator() in production.',
  );
  return (request: IncomingMessage) => {
    try {
      return new URL(request.url ?? '/', 'http://localhost').searchParams.get('user');
    } catch {
      return null;
    }
  };
}
