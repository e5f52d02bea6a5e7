import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { DEMO_CONFIG } from './demo.constants.js';
import type { DemoConfig } from './demo-config.js';

/** How long a demo token stays valid. */
const TOKEN_TTL = '1h';

/** Signs the tokens the demo login hands out, with the same secret the gateway verifies. */
@Injectable()
export class DemoTokensService {
  private readonly secret: Uint8Array;

  constructor(@Inject(DEMO_CONFIG) config: DemoConfig) {
    this.secret = new TextEncoder().encode(config.jwtSecret);
  }

  sign(user: string): Promise<string> {
    return new SignJWT()
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setIssuedAt()
      .setExpirationTime(TOKEN_TTL)
      .sign(this.secret);
  }
}
