import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Telemetry } from '@gridstation/telemetry';
import { HealthRegistry } from './health-registry';
import { HEALTH, TELEMETRY } from './tokens';

@Controller()
export class HealthController {
  constructor(
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(TELEMETRY) private readonly telemetry: Telemetry,
  ) {}

  /** Liveness: the process answers. Dependencies are not consulted (a Kafka outage is no reason to restart). */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every dependency answers and the service is not shutting down. */
  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    const r = await this.health.readiness();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not-ready', ...r });
  }

  @Get('metrics')
  metrics(@Req() req: Request, @Res() res: Response): void {
    this.telemetry.handleMetrics(req, res);
  }
}
