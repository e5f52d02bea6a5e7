import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { userId } from '../users.js';
import type { BenchContext } from './context.js';
import { handshakeRows, recordHandshakes } from './idle-connections.js';
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
  });
}
