import { Readable } from 'node:stream';
import { Controller, Get, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Authorize } from '@logbook/access';
import { Answers } from '@logbook/platform';
import { TrackingRules } from '../shared/access';
import { ANSWERS } from '../shared/wire-schemas';
import { mlflowRoutes } from '../shared/routes';
import { GetMetricHistoryBulkDto, GetMetricHistoryBulkIntervalDto, GetMetricHistoryDto } from './runs.dto';
import { MetricsQueries } from './metrics.queries';

@Controller(mlflowRoutes('metrics'))
export class MetricsController {
  constructor(private readonly metrics: MetricsQueries) {}

  @Get('get-history')
  @Authorize(...TrackingRules.run('read'))
  @Answers(ANSWERS.metrics)
  async history(@Query() dto: GetMetricHistoryDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const answer = await this.metrics.history(dto.runId, dto.metric_key, dto.max_results, dto.page_token);
    // The answer is JSON text already; a long one is a stream, written as its chunks are read, one chunk
    // read ahead of the socket at most.
    void reply.type('application/json; charset=utf-8');
    return typeof answer === 'string' ? answer : Readable.from(answer, { highWaterMark: 1 });
  }

  /** READ on every run's experiment (validate_can_read_metric_history_bulk_interval). */
  @Get('get-history-bulk-interval')
  @Authorize(...TrackingRules.readRuns('run_ids'))
  @Answers(ANSWERS.metrics)
  bulkInterval(@Query() dto: GetMetricHistoryBulkIntervalDto) {
    return this.metrics.bulkInterval(dto);
  }
}

/** MLflow serves the bulk history to its UI only, under the ajax prefix. */
@Controller('ajax-api/2.0/mlflow/metrics')
export class MetricsBulkController {
  constructor(private readonly metrics: MetricsQueries) {}

  /** READ on every run's experiment (validate_can_read_metric_history_bulk). */
  @Get('get-history-bulk')
  @Authorize(...TrackingRules.readRuns('run_id'))
  @Answers(ANSWERS.metrics)
  async bulk(@Query() dto: GetMetricHistoryBulkDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const answer = await this.metrics.bulk(dto.run_id ?? [], dto.metric_key, dto.max_results);
    // MLflow answers this route with Flask's jsonify, not protobuf JSON, so no points is `"metrics": []`.
    // Set after the query: a refusal is serialised by the error filter.
    reply.serializer(JSON.stringify);
    return answer;
  }
}
