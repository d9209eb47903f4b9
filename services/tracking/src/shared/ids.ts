import { invalidParameter } from '@logbook/platform';

/** Experiment ids are integers rendered as strings (also the OpenAPI document's pattern). */
export const EXPERIMENT_ID_PATTERN = '^[0-9]{1,18}$';
const EXPERIMENT_ID = new RegExp(EXPERIMENT_ID_PATTERN);
/** Where an empty experiment id means the default experiment (runs/create), as a missing one does. */
export const EXPERIMENT_ID_OR_EMPTY_PATTERN = '^([0-9]{1,18})?$';

/** Anything but an experiment id is the caller's mistake. */
export function checkExperimentId(experimentId: string): string {
  if (!EXPERIMENT_ID.test(experimentId)) {
    throw invalidParameter(`Invalid experiment ID '${experimentId}'. Experiment ID must be a valid integer.`);
  }
  return experimentId;
}
