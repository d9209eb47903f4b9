import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance } from 'fastify';
import { ARTIFACTS_PRODUCER } from '@logbook/contracts';
import { Announcements, EventFeed } from '@logbook/messaging';
import { Logger } from '@logbook/platform';
import { ARTIFACT_ACCESS_PROVIDERS } from './access/artifact-access';
import { ArtifactRecords } from './artifact-records';
import { ArtifactsController } from './artifacts.controller';
import { ArtifactsRuntime } from './artifacts.runtime';
import { ArtifactsEventsController } from './events-feed/artifacts-events.controller';
import { DownloadsService } from './downloads/downloads.service';
import { MultipartService } from './multipart/multipart.service';
import { Owners } from './owners/owners';
import { ReconciliationService } from './reconciliation/reconciliation.service';
import { ARTIFACT_STORAGE, ARTIFACTS_CONFIG, ARTIFACTS_LOGGER, DATABASE, EVENT_STORE } from './shared/tokens';
import { UploadsService } from './uploads/uploads.service';

/** Its Nest controllers: the proxy's own routes go on Fastify (see ArtifactsController). */
export const ARTIFACTS_CONTROLLERS = [ArtifactsEventsController];

/**
 * MLflow's artifact proxy: uploads, downloads, listings, multipart uploads, and the reconciliation of
 * the index with the store. Its routes go straight on Fastify when the module starts (see ArtifactsController).
 */
@Module({})
export class ArtifactsModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly controller: ArtifactsController,
  ) {}

  /** Its own providers, not global ones: in one process, tracking's module provides the same kinds of thing. */
  static with(runtime: ArtifactsRuntime, logger: Logger): DynamicModule {
    return {
      module: ArtifactsModule,
      controllers: ARTIFACTS_CONTROLLERS,
      providers: [
        { provide: DATABASE, useValue: runtime.db },
        { provide: EVENT_STORE, useValue: runtime.store },
        { provide: ARTIFACT_STORAGE, useValue: runtime.storage },
        { provide: ARTIFACTS_CONFIG, useValue: runtime.config },
        { provide: ARTIFACTS_LOGGER, useValue: logger },
        { provide: Announcements, useValue: runtime.ownerAnnouncements },
        {
          provide: EventFeed,
          useValue: new EventFeed(runtime.store, { service: ARTIFACTS_PRODUCER, toContract: runtime.toContract }),
        },
        Owners,
        ArtifactRecords,
        UploadsService,
        DownloadsService,
        MultipartService,
        ReconciliationService,
        ArtifactsController,
        ...ARTIFACT_ACCESS_PROVIDERS,
      ],
      exports: [ReconciliationService],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.controller.register(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}
