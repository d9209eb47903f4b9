import { invalidParameter } from '../../../../libs/platform/src/errors';

/** Experiment ids are integers rendered as strings; anything else is the caller's mistake. */
export function checkExperimentId(experimentId: string): string {
  if (!/^\d{1,18}$/.test(experimentId)) {
    throw invalidParameter(`Invalid experiment ID '${experimentId}'. Experiment ID must be a valid integer.`);
  }
  return experimentId;
}
