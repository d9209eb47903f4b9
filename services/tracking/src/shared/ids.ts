import { invalidParameter } from '../../../../libs/platform/src/errors';

/** Experiment ids are integers rendered as strings (also the OpenAPI document's pattern). */
export const EXPERIMENT_ID_PATTERN = '^[0-9]{1,18}$';
const EXPERIMENT_ID = new RegExp(EXPERIMENT_ID_PATTERN);

/** Anything but an experiment id is the caller's mistake. */
export function checkExperimentId(experimentId: string): string {
  if (!EXPERIMENT_ID.test(experimentId)) {
    throw invalidParameter(`Invalid experiment ID '${experimentId}'. Experiment ID must be a valid integer.`);
  }
  return experimentId;
}
