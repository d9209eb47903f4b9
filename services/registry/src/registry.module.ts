import { DynamicModule, Global, Module } from '@nestjs/common';
import { REGISTRY_PRODUCER } from '@logbook/contracts';
import { EventFeed } from '@logbook/messaging';
import { RegistryEventsController } from './events-feed/registry-events.controller';
import { AuditController } from './audit/audit.controller';
import { AuditQueries } from './audit/audit.queries';
import { ActivitiesController } from './activities/activities.controller';
import { ActivitiesQueries } from './activities/activities.queries';
import { CommentsController } from './comments/comments.controller';
import { CommentsQueries } from './comments/comments.queries';
import { CommentsService } from './comments/comments.service';
import { GovernedTargets } from './governance/governed-targets';
import { PoliciesController } from './governance/policies.controller';
import { PoliciesQueries } from './governance/policies.queries';
import { PoliciesService } from './governance/policies.service';
import { HistoryController } from './history/history.controller';
import { HistoryQueries } from './history/history.queries';
import { LineageController } from './lineage/lineage.controller';
import { LineageQueries } from './lineage/lineage.queries';
import { ModelVersionArtifactsController } from './model-versions/model-version-artifacts.controller';
import { ModelVersionsController } from './model-versions/model-versions.controller';
import { ModelVersionsQueries } from './model-versions/model-versions.queries';
import { ModelVersionsService } from './model-versions/model-versions.service';
import { RegistrationVerdicts } from './model-versions/registration-verdicts';
import { RegisteredModelsController } from './registered-models/registered-models.controller';
import { RegisteredModelsQueries } from './registered-models/registered-models.queries';
import { RegisteredModelsService } from './registered-models/registered-models.service';
import { RegistryRuntime } from './registry.runtime';
import { TransitionRequestCommands } from './transition-requests/transition-request-commands.consumer';
import { TransitionRequestExpiry } from './transition-requests/transition-request-expiry';
import { TransitionRequestsController } from './transition-requests/transition-requests.controller';
import { TransitionRequestsQueries } from './transition-requests/transition-requests.queries';
import { TransitionRequestsService } from './transition-requests/transition-requests.service';
import { RegistryAccess, SourceLoggedModelExperiments, SourceRunExperiments } from './shared/access';
import {
  COMMAND_FEED,
  DATABASE,
  EVENT_STORE,
  REGISTRATION_VERDICTS,
  REGISTRY_LOGGER,
  WEBHOOK_DELIVERY,
  WEBHOOK_SETTINGS,
} from './shared/tokens';
import { WebhookDeliveryLifecycle } from './webhooks/delivery/delivery-lifecycle';
import { LedgerController } from './webhooks/delivery/ledger.controller';
import { LedgerQueries } from './webhooks/delivery/ledger.queries';
import { RegistryWebhooksController } from './webhooks/registry-webhooks.controller';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksQueries } from './webhooks/webhooks.queries';
import { WebhooksService } from './webhooks/webhooks.service';

@Global()
@Module({})
class RegistryInfrastructureModule {
  static with(runtime: RegistryRuntime): DynamicModule {
    return {
      module: RegistryInfrastructureModule,
      providers: [
        { provide: DATABASE, useValue: runtime.db },
        { provide: EVENT_STORE, useValue: runtime.store },
        { provide: REGISTRY_LOGGER, useValue: runtime.logger },
        { provide: COMMAND_FEED, useValue: runtime.commandFeed },
        { provide: WEBHOOK_SETTINGS, useValue: runtime.config.webhooks },
        { provide: WEBHOOK_DELIVERY, useValue: runtime.webhookDelivery },
        {
          provide: REGISTRATION_VERDICTS,
          useValue: { announcements: runtime.registrationVerdicts, waitMs: runtime.registrationWaitMs },
        },
      ],
      exports: [
        DATABASE,
        EVENT_STORE,
        REGISTRY_LOGGER,
        REGISTRATION_VERDICTS,
        COMMAND_FEED,
        WEBHOOK_SETTINGS,
        WEBHOOK_DELIVERY,
      ],
    };
  }
}

export const REGISTRY_CONTROLLERS = [
  RegisteredModelsController,
  ModelVersionsController,
  ModelVersionArtifactsController,
  LineageController,
  HistoryController,
  AuditController,
  CommentsController,
  ActivitiesController,
  PoliciesController,
  TransitionRequestsController,
  WebhooksController,
  RegistryWebhooksController,
  LedgerController,
  RegistryEventsController,
];

/**
 * MLflow's Model Registry API (registered models, versions, tags, aliases and stages), versions' lineage,
 * models' history, and Databricks' comments and activity lists of versions.
 */
@Module({})
export class RegistryModule {
  static with(runtime: RegistryRuntime): DynamicModule {
    return {
      module: RegistryModule,
      imports: [RegistryInfrastructureModule.with(runtime)],
      controllers: REGISTRY_CONTROLLERS,
      providers: [
        RegisteredModelsService,
        RegisteredModelsQueries,
        ModelVersionsService,
        ModelVersionsQueries,
        RegistrationVerdicts,
        LineageQueries,
        HistoryQueries,
        AuditQueries,
        CommentsService,
        CommentsQueries,
        ActivitiesQueries,
        RegistryAccess,
        SourceRunExperiments,
        SourceLoggedModelExperiments,
        PoliciesService,
        PoliciesQueries,
        GovernedTargets,
        TransitionRequestsService,
        TransitionRequestsQueries,
        TransitionRequestExpiry,
        TransitionRequestCommands,
        WebhooksService,
        WebhooksQueries,
        LedgerQueries,
        WebhookDeliveryLifecycle,
        {
          provide: EventFeed,
          useValue: new EventFeed(runtime.store, { service: REGISTRY_PRODUCER, toContract: runtime.toContract }),
        },
      ],
      exports: [ModelVersionsService, GovernedTargets, WebhooksService],
    };
  }
}
