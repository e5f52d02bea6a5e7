import { jwtVerify, SignJWT } from 'jose';
import { randomBytes, webcrypto } from 'node:crypto';
import type { RowSpec } from '../report/results.js';
import { userId } from '../users.js';
import type { BenchContext } from './context.js';
import { cpuMicrosOf } from './cpu.js';
import { CONNECTIONS_TABLE, handshakeRows, recordHandshakes } from './idle-connections.js';
import { connectUsers, QUIET_HEARTBEAT, withSession } from './session.js';
import type { SystemSpec } from './systems.js';

/**
 * Our handshake rate with `jwtAuthenticator` verifying an HS256 token per connection. Tokens are
 * signed before the clock starts, so only the server's verification is measured.
 */
export async function jwtConnectScenario(ctx: BenchContext, system: SystemSpec): Promise<void> {
  const count = ctx.plan.idleConnections;
  const secret = randomBytes(32).toString('hex');
  const key = new TextEncoder().encode(secret);
  const tokens = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId(i))
        .setExpirationTime('1h')
        .sign(key),
    ),
  );
  await measureJoseAlone(ctx, system, tokens, key);
  const config = { heartbeat: QUIET_HEARTBEAT, auth: 'jwt', jwtSecret: secret } as const;
  await withSession(ctx, system, 'jwt', config, async ({ server, load }) => {
    const before = await server.control.stats();
    const summary = await connectUsers(ctx, load, system, server, 0, count, (i) => tokens[i]);
    const after = await server.control.stats();
    recordHandshakes(
      ctx,
      system,
      summary,
      after.cpuMicros - before.cpuMicros,
      handshakeRows('jwt'),
    );
    ctx.log(`  ${system.label} JWT: ${Math.round(summary.rate)} handshakes/s`);
    // A baseline checkout's server may predate the route; the harness rows cover it.
    if (system.id === 'base') return;
    // After the handshakes, in the same server process, with as many in flight as they had.
    const jose = await server.control.verifyWithJose({
      tokens,
      secret,
      inFlight: ctx.plan.workers * ctx.plan.connectConcurrency,
    });
    ctx.results.add(CONNECTIONS_TABLE, JOSE_ROWS.server, system.id, jose.cpuMicrosPerToken);
    ctx.log(`  jose alone in that server: ${jose.cpuMicrosPerToken.toFixed(1)} µs per token`);
  });
}

export const JOSE_ROWS = {
  bytes: {
    id: 'jose.bytes',
    label: "jose's own `jwtVerify` per token, secret as bytes (in the harness, for scale)",
    unit: 'micros',
    better: 'neither',
  },
  key: {
    id: 'jose.key',
    label: "jose's own `jwtVerify` per token, key imported once (in the harness)",
    unit: 'micros',
    better: 'neither',
  },
  server: {
    id: 'jose.server',
    label:
      "jose's own `jwtVerify` per token, key imported once, in the server process after its handshakes, as many in flight",
    unit: 'micros',
    better: 'neither',
  },
} satisfies Record<string, RowSpec>;

/**
 * What verifying the same tokens costs jose alone, in this (harness) process, one after the
 * other: with the secret's bytes, which jose imports into a Web Crypto key on each call, and with
 * a key imported once, which is what `jwtAuthenticator` passes. Set beside the server's CPU per
 * JWT handshake, the difference is the handshake's own cost.
 */
async function measureJoseAlone(
  ctx: BenchContext,
  system: SystemSpec,
  tokens: string[],
  secret: Uint8Array,
): Promise<void> {
  const imported = await webcrypto.subtle.importKey(
    'raw',
    secret,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const options = { algorithms: ['HS256'] };
  for (const [row, key] of [
    [JOSE_ROWS.bytes, secret],
    [JOSE_ROWS.key, imported],
  ] as const) {
    // A first pass warms the JIT up; the second is measured.
    for (const token of tokens.slice(0, 500)) await jwtVerify(token, key, options);
    const micros = await cpuMicrosOf(async () => {
      for (const token of tokens) await jwtVerify(token, key, options);
    });
    ctx.results.add(CONNECTIONS_TABLE, row, system.id, micros / tokens.length);
  }
}
