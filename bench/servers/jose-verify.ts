import { jwtVerify } from 'jose';
import { webcrypto } from 'node:crypto';

/** Body of `POST /jose/verify`: HS256 tokens signed with `secret`, and how many to verify at once. */
export interface JoseVerifySpec {
  tokens: string[];
  secret: string;
  inFlight: number;
}

/** Answer of `POST /jose/verify`. */
export interface JoseVerifyResult {
  /** This process's CPU time (all its threads) per verified token. */
  cpuMicrosPerToken: number;
}

/**
 * Verifies every token with jose's own `jwtVerify` and a key imported once (what
 * `jwtAuthenticator` passes it), `inFlight` at a time as handshakes come, in the server's own
 * process: set beside the server's CPU per JWT handshake, the difference is what the handshake
 * adds around the verification. A first pass over a few tokens warms the JIT up.
 */
export async function measureJoseVerify(spec: JoseVerifySpec): Promise<JoseVerifyResult> {
  const key = await webcrypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(spec.secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const options = { algorithms: ['HS256'] };
  const verifyAll = async (tokens: string[]): Promise<void> => {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < tokens.length) await jwtVerify(tokens[next++], key, options);
    };
    await Promise.all(Array.from({ length: Math.max(1, spec.inFlight) }, lane));
  };
  await verifyAll(spec.tokens.slice(0, 500));
  const start = process.cpuUsage();
  await verifyAll(spec.tokens);
  const { user, system } = process.cpuUsage(start);
  return { cpuMicrosPerToken: (user + system) / spec.tokens.length };
}
