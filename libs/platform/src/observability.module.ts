import { Controller, DynamicModule, Get, Header, Inject, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Database } from './database';
import { metricsRegistry } from './metrics';

export const DATABASE = Symbol('DATABASE');
const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** One dependency a service needs before it can serve: resolves with details, or throws why not. */
export interface ReadinessCheck {
  name: string;
  probe(): Promise<Record<string, unknown>>;
}

export const databaseReadiness = (db: Database): ReadinessCheck => ({
  name: 'database',
  probe: async () => {
    await db.query('SELECT 1');
    return { kind: db.kind };
  },
});

export const httpReadiness = (name: string, url: string): ReadinessCheck => ({
  name,
  probe: async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return { url };
  },
});

@Controller()
class ObservabilityController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {}

  /** Liveness, answered as MLflow's server answers it. */
  @Get('health')
  @Header('content-type', 'text/plain')
  live(): string {
    return 'OK';
  }

  @Get('health/ready')
  @HealthCheck()
  ready() {
    return this.health.check(
      this.checks.map((check) => async () => {
        const indicator = this.indicator.check(check.name);
        try {
          return indicator.up(await check.probe());
        } catch (error) {
          return indicator.down({ message: (error as Error).message });
        }
      }),
    );
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}

/** /health (liveness), /health/ready (the given checks) and /metrics (Prometheus). */
@Module({})
export class ObservabilityModule {
  static with(checks: ReadinessCheck[]): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [TerminusModule],
      controllers: [ObservabilityController],
      providers: [{ provide: READINESS_CHECKS, useValue: checks }],
    };
  }
}
