import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { MetricsService } from './metrics.service';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  async render(@Res() res: Response): Promise<void> {
    const out = await this.metrics.render();
    res.type(out.contentType).send(out.body);
  }
}
