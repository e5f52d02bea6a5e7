import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConnectionInfo } from '../src/index.js';
import { DEMO_CONFIG } from './demo.constants.js';
import type { DemoConfig } from './demo-config.js';

/** Lets through the frames of the users CHAT_ADMINS lists, and no one else's. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(DEMO_CONFIG) private readonly config: DemoConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const { user } = context.switchToWs().getClient<ConnectionInfo>();
    return this.config.admins.includes(user);
  }
}
