import { webcrypto } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { Authenticator, ChatPrincipal } from './authenticator.js';

/** Options of {@link jwtAuthenticator}. */
export interface JwtAuthenticatorOptions {
  /** The shared HMAC secret the tokens are signed with. */
  secret: string | Uint8Array;
  /**
   * Accepted signature algorithms.
   * @default ['HS256']
   */
  algorithms?: string[];
  /** Required `iss` claim, if any. */
  issuer?: string | string[];
  /** Required `aud` claim, if any. */
  audience?: string | string[];
  /**
   * Leeway for `exp` and `nbf`, in seconds, to absorb clock skew between servers.
   * @default 0
   */
  clockToleranceSeconds?: number;
  /**
   * Query parameter that carries the token, for browsers, which cannot set headers on a
   * WebSocket handshake. An `Authorization: Bearer` header is read first.
   * @default 'token'
   */
  queryParameter?: string;
}

/**
 * An {@link Authenticator} that accepts a JWT (HS256 by default, verified with `jose`) from the
 * `Authorization: Bearer` header or the `?token=` query parameter. The user is the token's `sub`
 * claim; a missing, forged, expired or not-yet-valid token refuses the handshake (HTTP 401). The
 * token's `exp` becomes the connection's expiry.
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const secret =
    typeof options?.secret === 'string'
      ? new TextEncoder().encode(options.secret)
      : options?.secret;
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new TypeError(
      'jwtAuthenticator: option "secret" must be a non-empty string or Uint8Array',
    );
  }
  const verifyOptions = {
    algorithms: options.algorithms ?? ['HS256'],
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSeconds ?? 0,
  };
  const queryParameter = options.queryParameter ?? 'token';
  const key = verificationKey(secret, verifyOptions.algorithms);

  return async (request: IncomingMessage): Promise<ChatPrincipal | null> => {
    const token = bearerToken(request) ?? queryToken(request, queryParameter);
    if (!token) return null;
    try {
      const { payload } = await jwtVerify(token, key, verifyOptions);
      if (typeof payload.sub !== 'string') return null;
      return {
        user: payload.sub,
        expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
      };
    } catch (err) {
      // A bad token is the client's problem (401); anything else is a bug worth a 500.
      if (err instanceof errors.JOSEError) return null;
      throw err;
    }
  };
}

/** The Web Crypto hash of each HMAC algorithm. */
const HMAC_HASHES: Record<string, string> = {
  HS256: 'SHA-256',
  HS384: 'SHA-384',
  HS512: 'SHA-512',
};

type HmacKeys = Map<string, Promise<webcrypto.CryptoKey>>;

/**
 * The key `jwtVerify` gets. Given the secret's bytes, jose imports them into a Web Crypto key on
 * every verification, which costs about as much as the HMAC itself; so each HMAC algorithm's key
 * is imported once, on first use. Other algorithms get the bytes, and jose refuses them as
 * before (a shared secret cannot verify an asymmetric signature).
 */
function verificationKey(
  secret: Uint8Array,
  algorithms: string[],
): (header: JWTHeaderParameters) => Promise<webcrypto.CryptoKey> | Uint8Array {
  const keys: HmacKeys = new Map();
  return (header) => {
    const hash = HMAC_HASHES[header.alg];
    if (!hash || !algorithms.includes(header.alg)) return secret;
    let key = keys.get(header.alg);
    if (!key) {
      key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash }, false, ['verify']);
      keys.set(header.alg, key);
    }
    return key;
  };
}

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function queryToken(request: IncomingMessage, name: string): string | undefined {
  try {
    return new URL(request.url ?? '/', 'http://localhost').searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}
