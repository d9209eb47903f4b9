import { DynamicModule, Global, Module } from '@nestjs/common';
import { TRACKING_PRODUCER } from '@logbook/contracts';
import { EventFeed } from '@logbook/messaging';
import { TrackingEventsController } from './events-feed/tracking-events.controller';
import { ExperimentDatasetsController, ExperimentsController } from './experiments/experiments.controller';
import { ExperimentsQueries } from './experiments/experiments.queries';
import { ExperimentsService } from './experiments/experiments.service';
import { LoggedModelsController } from './logged-models/logged-models.controller';
import { LoggedModelsQueries } from './logged-models/logged-models.queries';
import { LoggedModelsService } from './logged-models/logged-models.service';
import { MetricsBulkController, MetricsController } from './runs/metrics.controller';
import { MetricsQueries } from './runs/metrics.queries';
import { RunsController } from './runs/runs.controller';
import { RunsQueries } from './runs/runs.queries';
import { RunsService } from './runs/runs.service';
import { ExperimentNameLookup, ListingAccess, LoggedModelExperimentLookup, RunExperimentLookup } from './shared/access';
import { DATABASE, EVENT_STORE, TRACKING_CONFIG } from './shared/tokens';
import { trackingTopicOf } from './tracking.contracts';
import { TrackingRuntime } from './tracking.runtime';

@Global()
@Module({})
class TrackingInfrastructureModule {
  static with(runtime: TrackingRuntime): DynamicModule {
    return {
      module: TrackingInfrastructureModule,
      providers: [
        { provide: DATABASE, useValue: runtime.db },
        { provide: EVENT_STORE, useValue: runtime.store },
        { provide: TRACKING_CONFIG, useValue: runtime.config },
      ],
      exports: [DATABASE, EVENT_STORE, TRACKING_CONFIG],
    };
  }
}

export const TRACKING_CONTROLLERS = [
  ExperimentsController,
  ExperimentDatasetsController,
  RunsController,
  MetricsController,
  MetricsBulkController,
  LoggedModelsController,
  TrackingEventsController,
];

/** The MLflow Tracking API: experiments, runs, metrics and logged models. */
@Module({})
export class TrackingModule {
  static with(runtime: TrackingRuntime): DynamicModule {
    return {
      module: TrackingModule,
      imports: [TrackingInfrastructureModule.with(runtime)],
      controllers: TRACKING_CONTROLLERS,
      providers: [
        ExperimentsService,
        ExperimentsQueries,
        RunsService,
        RunsQueries,
        MetricsQueries,
        LoggedModelsService,
        LoggedModelsQueries,
        // What the access rules of the routes look up (OwnerLookup), and the listings' filter.
        RunExperimentLookup,
        LoggedModelExperimentLookup,
        ExperimentNameLookup,
        ListingAccess,
        {
          provide: EventFeed,
          useValue: new EventFeed(runtime.store, {
            service: TRACKING_PRODUCER,
            toContract: runtime.toContract,
            topicOf: trackingTopicOf,
          }),
        },
      ],
      exports: [ExperimentsService],
    };
  }
}
