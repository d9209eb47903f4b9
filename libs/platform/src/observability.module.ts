import {
  Controller,
  DynamicModule,
  Get,
  Header,
  Inject,
  Module,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Database } from './database';
import { metricsRegistry } from './metrics';
import { DependencyStatus } from './retry';

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

/**
 * The state of a component (a relay, a consumer) that uses a dependency. A `required` one keeps the
 * service unready while it is down; any other is reported as degraded, because the service still serves
 * its requests without it (writes go to Postgres first; the relay publishes them when Kafka is back).
 */
export const statusReadiness = (
  name: string,
  status: () => DependencyStatus,
  mode: 'required' | 'degrades' = 'required',
): ReadinessCheck => ({
  name,
  probe: async () => {
    const { up, error, failures } = status();
    if (up) return {};
    const message = failures > 0 ? `${error} (${failures} failed attempts)` : error;
    if (mode === 'degrades') return { degraded: true, message };
    throw new Error(message);
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

  /** 200 when every check passes, else 503; the body names each check's state either way. */
  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      return await this.health.check(
        this.checks.map((check) => async () => {
          const indicator = this.indicator.check(check.name);
          try {
            return indicator.up(await check.probe());
          } catch (error) {
            return indicator.down({ message: (error as Error).message });
          }
        }),
      );
    } catch (error) {
      // Answered here: the MLflow error filter would turn terminus' exception into a 500.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse();
    }
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
      // Components log their dependencies' outages once each; terminus would log every failed probe.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [ObservabilityController],
      providers: [{ provide: READINESS_CHECKS, useValue: checks }],
    };
  }
}
