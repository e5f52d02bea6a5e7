import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { DEMO_METRICS } from './demo.constants.js';

/** Prometheus scrape endpoint: the gateway's metrics and the process's default metrics. */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(DEMO_METRICS) private readonly registry: Registry) {}

  @Get()
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.type(this.registry.contentType);
    return this.registry.metrics();
  }
}
