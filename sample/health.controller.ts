import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ChatHealthService, type ChatHealth } from '../src/index.js';

/** Probes: `/health` answers 503 while the node is not ready, `/health/live` only proves life. */
@Controller('health')
export class HealthController {
  constructor(private readonly health: ChatHealthService) {}

  @Get()
  readiness(@Res({ passthrough: true }) response: Response): ChatHealth {
    const health = this.health.check();
    response.status(health.ready ? 200 : 503);
    return health;
  }

  @Get('live')
  liveness(): { live: true } {
    return { live: true };
  }
}
