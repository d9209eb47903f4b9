import { posix } from 'node:path';
import {
  invalidParameter,
  invalidValueBecause,
  MlflowError,
  resolvesElsewhere,
  resolvesElsewhereReason,
  validateKeyName,
} from '@logbook/platform';

/** MLflow's registry limits (mlflow/utils/validation.py), enforced identically. */
export const LIMITS = {
  tagKey: 250,
  tagValue: 100_000,
  alias: 255,
  /** A comment on a version, as long as the longest text MLflow keeps on one (a tag's value). */
  comment: 100_000,
  /** A comment sent in a query string (cancelling a request): it fits Node's 16 KiB request line even percent-encoded. */
  queryComment: 1000,
} as const;

/** max_results of the registry searches, and of a model's history: the page size when it is left out, and the largest one accepted. */
export const MAX_RESULTS = {
  searchRegisteredModels: { fallback: 100, maximum: 1000 },
  searchModelVersions: { fallback: 200_000, maximum: 200_000 },
  modelHistory: { fallback: 100, maximum: 1000 },
} as const;

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];
/** The stages `archive_existing_versions` may move versions out of (MLflow's active stages). */
export const ACTIVE_STAGES: readonly Stage[] = ['Staging', 'Production'];

/** The tag marking a registered model (or version) as a prompt; searches leave prompts out unless asked. */
export const PROMPT_TAG = 'mlflow.prompt.is_prompt';
/** The version tag holding a prompt's template: a prompt version's whole content. */
export const PROMPT_TEXT_TAG = 'mlflow.prompt.text';
/** Prompt versions have no model files; MLflow's senders give one of these placeholders as their source. */
const PROMPT_SOURCES = ['dummy-source', 'prompt-template'];

// Python's `\w` is Unicode-aware: letters and digits of any script.
const ALIAS_NAME = /^[\p{L}\p{N}_-]*$/u;
const VERSION_ALIAS = /^[vV]\d+$/;

const missing = (path: string) => invalidParameter(`Missing value for required parameter '${path}'.`);

function checkLength(path: string, limit: number, value: string): void {
  if (value.length > limit) throw invalidParameter(`'${path}' exceeds the maximum length of ${limit} characters`);
}

/** _validate_model_name: not blank, no '/' or ':', nothing that resolves to another path. */
export function validateModelName(name: string, path = 'name'): void {
  if (name.trim() === '') throw missing(path);
  if (name.includes('/') || name.includes(':')) {
    throw invalidParameter(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  }
  if (resolvesElsewhere(name)) throw invalidValueBecause('name', name, resolvesElsewhereReason(name));
}

/** Registered-model and model-version tags: 250 characters of key, 100,000 of value. */
export function validateTag(key: string, value: string): void {
  validateKeyName(key);
  checkLength('key', LIMITS.tagKey, key);
  checkLength('value', LIMITS.tagValue, value);
}

/** At most `limit` characters, counted as Python and JSON Schema count them (code points). */
function checkCharacters(path: string, limit: number, value: string): void {
  if ([...value].length > limit) throw invalidParameter(`'${path}' exceeds the maximum length of ${limit} characters`);
}

/** A comment on a version (Databricks' comments): not blank, at most LIMITS.comment characters. */
export function validateComment(comment: string): void {
  if (comment.trim() === '') throw invalidParameter('A comment cannot be blank.');
  checkCharacters('comment', LIMITS.comment, comment);
}

/** An optional text of a transition request (its comment, a break-glass reason): null when left out. */
export function optionalText(path: string, value: string | undefined, limit: number = LIMITS.comment): string | null {
  if (value === undefined) return null;
  checkCharacters(path, limit, value);
  return value;
}

/** _validate_model_alias_name. */
export function validateAliasName(alias: string): void {
  if (alias === '') throw invalidParameter('Registered model alias name cannot be empty.');
  if (!ALIAS_NAME.test(alias)) {
    throw invalidParameter(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  checkLength('Registered model alias name', LIMITS.alias, alias);
}

/** _validate_model_alias_name_reserved: `latest` and `v<number>` name versions already. */
export function validateAliasNotReserved(alias: string): void {
  if (alias.toLowerCase() === 'latest') throw invalidParameter("'latest' alias name (case insensitive) is reserved.");
  if (VERSION_ALIAS.test(alias)) throw invalidParameter(`Version alias name '${alias}' is reserved.`);
}

/** _validate_model_version: the version is an integer, sent as a string or a number. */
export function parseVersion(version: string): number {
  const text = version.trim();
  // Python's int() takes surrounding blanks, a sign and underscores between digits.
  if (!/^[+-]?\d+(_\d+)*$/.test(text)) {
    throw invalidParameter(`Parameter 'version' must be an integer, got '${version}'.`);
  }
  const parsed = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(parsed)) {
    throw invalidParameter(`Parameter 'version' must be an integer, got '${version}'.`);
  }
  return parsed;
}

/** get_canonical_stage: case-insensitive, one of MLflow's four stages. */
export function canonicalStage(stage: string): Stage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) {
    throw invalidParameter(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`);
  }
  return found;
}

const SOURCE_INVALID = (source: string) =>
  invalidParameter(
    `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`,
  );

/** Percent-decoding as Python's unquote_plus, repeated until nothing changes. */
function fullyUnquoted(source: string): string {
  let current = source;
  for (;;) {
    let next: string;
    try {
      next = decodeURIComponent(current.replace(/\+/g, ' '));
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
}

/**
 * Where a version's model may come from. Relative references, NUL and encoded traversal are refused as
 * MLflow refuses them; local paths are refused outright (CVE-2023-1177): the registry reads models only
 * from the run, logged-model and artifact-store URIs the artifacts service verifies.
 */
export function validateSource(source: string): void {
  const decoded = fullyUnquoted(source);
  if (decoded.includes('\u0000') || decoded.split('/').includes('..') || source.split('/').includes('..')) {
    throw SOURCE_INVALID(source);
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(decoded)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file' || scheme.length === 1) {
    throw invalidParameter(
      `Invalid model version source: '${source}'. Local sources are not accepted: register a model from runs:/, models:/, mlflow-artifacts:/ or the artifact store.`,
    );
  }
  const path = decoded
    .replace(/^[A-Za-z][A-Za-z0-9+.-]*:(\/\/[^/]*)?/, '')
    .replace(/\/+/g, '/')
    .replace(/\/$/, '');
  if (path !== '' && (!path.startsWith('/') || posix.normalize(path) !== path)) {
    throw SOURCE_INVALID(source);
  }
}

/** _validate_prompt_source. */
export function validatePromptSource(source: string): void {
  if (!PROMPT_SOURCES.includes(source)) {
    throw invalidParameter(`Invalid prompt source: '${source}'. Prompt sources must use an MLflow placeholder.`);
  }
}

/** MLflow's error for an `archive_existing_versions` outside the active stages, answered 400 instead of 500. */
export function cannotArchive(stage: string): MlflowError {
  return invalidParameter(
    `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
  );
}
