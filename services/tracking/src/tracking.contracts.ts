import {
  contractMapper,
  ExperimentCreatedV1,
  ExperimentDeletedV1,
  ExperimentRenamedV1,
  ExperimentRestoredV1,
  ExperimentTagDeletedV1,
  ExperimentTagSetV1,
  LoggedModelCreatedV1,
  LoggedModelDeletedV1,
  LoggedModelFinalizedV1,
  LoggedModelParamsLoggedV1,
  LoggedModelTagDeletedV1,
  LoggedModelTagsSetV1,
  publish,
  RunCreatedV1,
  RunDataLoggedSummaryV1,
  RunDataLoggedV1,
  RunDeletedV1,
  RunInputsLoggedV1,
  RunOutputsLoggedV1,
  RunPurgedV1,
  RunRenamedV1,
  RunRestoredV1,
  RunStatusChangedV1,
  RunTagDeletedV1,
  topicRouter,
  TRACKING_PRODUCER,
  TRACKING_TOPICS,
} from '@logbook/contracts';
import { ExperimentEvent } from './experiments/experiment.events';
import { LoggedModelEvent } from './logged-models/logged-model.events';
import { latestPerKey } from './runs/latest-metric';
import { RunDataLogged, RunEvent } from './runs/run.events';

/**
 * How tracking's events leave the service: each domain event as the contract other services read.
 * The compiler checks each domain shape against its contract; when they part, map the fields here.
 */
export const trackingToContract = contractMapper<ExperimentEvent | RunEvent | LoggedModelEvent>({
  ExperimentCreated: (data) => publish(ExperimentCreatedV1, data),
  ExperimentRenamed: (data) => publish(ExperimentRenamedV1, data),
  ExperimentDeleted: (data) => publish(ExperimentDeletedV1, data),
  ExperimentRestored: (data) => publish(ExperimentRestoredV1, data),
  ExperimentTagSet: (data) => publish(ExperimentTagSetV1, data),
  ExperimentTagDeleted: (data) => publish(ExperimentTagDeletedV1, data),
  RunCreated: (data) => publish(RunCreatedV1, data),
  RunStatusChanged: (data) => publish(RunStatusChangedV1, data),
  RunRenamed: (data) => publish(RunRenamedV1, data),
  RunDeleted: (data) => publish(RunDeletedV1, data),
  RunRestored: (data) => publish(RunRestoredV1, data),
  RunPurged: (data) => publish(RunPurgedV1, data),
  RunDataLogged: (data) => [publish(RunDataLoggedV1, data), publish(RunDataLoggedSummaryV1, summaryOf(data))],
  RunTagDeleted: (data) => publish(RunTagDeletedV1, data),
  RunInputsLogged: (data) => publish(RunInputsLoggedV1, data),
  RunOutputsLogged: (data) => publish(RunOutputsLoggedV1, data),
  LoggedModelCreated: (data) => publish(LoggedModelCreatedV1, data),
  LoggedModelFinalized: (data) => publish(LoggedModelFinalizedV1, data),
  LoggedModelDeleted: (data) => publish(LoggedModelDeletedV1, data),
  LoggedModelTagsSet: (data) => publish(LoggedModelTagsSetV1, data),
  LoggedModelTagDeleted: (data) => publish(LoggedModelTagDeletedV1, data),
  LoggedModelParamsLogged: (data) => publish(LoggedModelParamsLoggedV1, data),
});

/** The topic of each published event: a run's data batches have one of their own (tracking.run-data.events.v1). */
export const trackingTopicOf = topicRouter(TRACKING_PRODUCER, TRACKING_TOPICS);

function summaryOf({ runId, metrics, params, tags }: RunDataLogged['data']) {
  return { runId, latestMetrics: latestPerKey(metrics), metricCount: metrics.length, params, tags };
}
