import { invalidParameter, validateKeyName } from '@logbook/platform';

/** MLflow's validation limits (mlflow/utils/validation.py), enforced identically. */
export const LIMITS = {
  entityKey: 250,
  paramValue: 6000,
  runTagValue: 8000,
  experimentName: 500,
  experimentTagKey: 250,
  experimentTagValue: 5000,
  metricsPerBatch: 1000,
  paramsOrTagsPerBatch: 100,
  entitiesPerBatch: 1000,
  datasetName: 500,
  datasetDigest: 36,
  datasetSource: 65535,
  datasetSchema: 1048575,
  datasetProfile: 16777215,
  inputTagKey: 255,
  inputTagValue: 500,
  artifactLocation: 2048,
  runName: 250,
  runIdsPerHistoryRequest: 100,
  experimentIdsPerDatasetSearch: 20,
  datasetSummaries: 1000,
} as const;

/** max_results of each paged read: the page size when it is left out, and the largest one accepted. */
export const MAX_RESULTS = {
  searchExperiments: { fallback: 1000, maximum: 50000 },
  searchRuns: { fallback: 1000, maximum: 50000 },
  searchLoggedModels: { fallback: 100, maximum: 50000 },
  // GetMetricHistory.max_results is an int32 in MLflow's protobuf: any positive one is a page size.
  metricHistory: { maximum: 2 ** 31 - 1 },
  metricHistoryBulk: { fallback: 25_000, maximum: 25_000 },
  metricHistoryBulkInterval: { fallback: 2500, maximum: 2500 },
} as const;

/** Long param and tag values are cut to the limit, as MLflow does by default (MLFLOW_TRUNCATE_LONG_VALUES). */
const truncateLongValues = process.env.MLFLOW_TRUNCATE_LONG_VALUES?.toLowerCase() !== 'false';

export function checkLength(entity: string, limit: number, value: string): string;
export function checkLength(entity: string, limit: number, value: string, truncate: boolean): string;
export function checkLength(entity: string, limit: number, value: string, truncate = false): string {
  if (value.length <= limit) return value;
  if (truncate && truncateLongValues) return value.slice(0, limit);
  throw invalidParameter(
    `${entity} '${value.slice(0, 250)}' had length ${value.length}, which exceeded length limit of ${limit}`,
  );
}

export function validateParam(key: string, value: string): { key: string; value: string } {
  validateKeyName(key);
  return {
    key: checkLength('Param key', LIMITS.entityKey, key),
    value: checkLength('Param value', LIMITS.paramValue, value, true),
  };
}

export function validateRunTag(key: string, value: string): { key: string; value: string } {
  validateKeyName(key);
  return {
    key: checkLength('Tag key', LIMITS.entityKey, key),
    value: checkLength('Tag value', LIMITS.runTagValue, value, true),
  };
}

export function validateMetric(key: string, value: number, timestamp: number, step: number): void {
  validateKeyName(key);
  if (typeof value !== 'number') {
    throw invalidParameter(
      `Got invalid value ${String(value)} for metric '${key}' (timestamp=${timestamp}). Please specify value as a valid double (64-bit floating point)`,
    );
  }
  if (!Number.isInteger(timestamp) || timestamp < 0) {
    throw invalidParameter(
      `Got invalid timestamp ${timestamp} for metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `,
    );
  }
  if (!Number.isInteger(step)) {
    throw invalidParameter(
      `Got invalid step ${step} for metric '${key}' (value=${value}). Step must be a valid long (64-bit integer).`,
    );
  }
  checkLength('Metric name', LIMITS.entityKey, key);
}

export function validateExperimentName(name: string): void {
  if (!name) throw invalidParameter(`Invalid experiment name: '${name}'`);
  if (name.length > LIMITS.experimentName) {
    throw invalidParameter(`Experiment name exceeds the maximum length of ${LIMITS.experimentName} characters`);
  }
}

export function validateExperimentTag(key: string, value: string): void {
  validateKeyName(key);
  checkLength('Tag key', LIMITS.experimentTagKey, key);
  checkLength('Tag value', LIMITS.experimentTagValue, value);
}

export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  const check = (entity: string, limit: number, count: number) => {
    if (count > limit) {
      throw invalidParameter(
        `A batch logging request can contain at most ${limit} ${entity}. Got ${count} ${entity}. Please split up ${entity} across multiple requests and try again.`,
      );
    }
  };
  check('metrics', LIMITS.metricsPerBatch, metrics);
  check('params', LIMITS.paramsOrTagsPerBatch, params);
  check('tags', LIMITS.paramsOrTagsPerBatch, tags);
  check('metrics, params, and tags', LIMITS.entitiesPerBatch, metrics + params + tags);
}

export function validateUniqueParamKeys(keys: string[]): void {
  const seen = new Set<string>();
  const duplicates = keys.filter((key) => (seen.has(key) ? true : (seen.add(key), false)));
  if (duplicates.length > 0) {
    throw invalidParameter(
      `Duplicate parameter keys have been submitted: [${duplicates.map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
    );
  }
}
