import { resolveListPrefix } from '@logbook/artifact-paths';
import { MlflowError } from '@logbook/platform';

/** Registry storage: the copies of registered model versions, under this folder of the store, never writable by clients. */
export const REGISTRY_STORAGE_PREFIX = 'registry';

/** Where the files of one model version are copied to, in the store. */
export const registryFolder = (registeredModelId: string, version: number) =>
  `${REGISTRY_STORAGE_PREFIX}/${registeredModelId}/${version}`;

/** True for a store path inside registry storage. */
export const inRegistryStorage = (path: string) =>
  path === REGISTRY_STORAGE_PREFIX || path.startsWith(`${REGISTRY_STORAGE_PREFIX}/`);

/** A source the artifacts service will not copy from; the message is the version's status message. */
export class SourceRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceRefused';
  }
}

/** What a version's source names: a run's or logged model's artifacts, or a place in this service's store. */
export type RegistrationSource =
  | { kind: 'run'; runId: string; path: string }
  | { kind: 'logged-model'; modelId: string; path: string }
  | { kind: 'store'; path: string };

/** The store the service writes to, as far as s3:// sources are concerned. */
export interface StoreIdentity {
  backend: 'local' | 's3';
  bucket: string;
  prefix: string;
}

/** The run or logged model whose artifacts a source names, as the artifacts service knows it. */
export interface SourceOwner {
  root: string;
  kind: 'run' | 'logged-model';
  ownerId: string;
  purged: boolean;
}

const RUN_ID = /^[0-9a-f]{32}$/;
const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;
const SCHEME = /^([a-z][a-z0-9+.-]+):(.*)$/is;

const outsideRoots = (source: string) =>
  new SourceRefused(
    `The source '${source}' is outside the artifact roots: register a model from runs:/, models:/<model_id>, or a location of a run's or logged model's artifacts.`,
  );

/** A path inside a source, judged by the artifact path gatekeeper: no traversal, no encoded tricks. */
function checkedPath(path: string, source: string): string {
  try {
    return resolveListPrefix(path.replace(/^\/+/, ''));
  } catch (error) {
    if (!(error instanceof MlflowError)) throw error;
    throw new SourceRefused(`Invalid source '${source}': its path must not leave its root.`);
  }
}

function s3Path(rest: string, source: string, store: StoreIdentity): string {
  const match = /^\/\/([^/]+)\/(.*)$/s.exec(rest);
  const prefix = store.prefix.replace(/^\/+/, '');
  if (store.backend !== 's3' || !match || match[1] !== store.bucket || !match[2].startsWith(prefix)) {
    throw outsideRoots(source);
  }
  return checkedPath(match[2].slice(prefix.length), source);
}

/**
 * What a version's source names, or why it is refused: local paths and `file:` (CVE-2023-1177), schemes
 * this service does not serve, s3:// outside its bucket and prefix, and any path that would leave its root.
 */
export function parseRegistrationSource(source: string, store: StoreIdentity): RegistrationSource {
  const match = SCHEME.exec(source);
  if (!match) {
    throw new SourceRefused(
      `Local sources are refused ('${source}'): register a model from runs:/, models:/<model_id> or the artifact store.`,
    );
  }
  const [, scheme, rest] = match;
  switch (scheme.toLowerCase()) {
    case 'runs': {
      const [runId, ...path] = rest.replace(/^\/+/, '').split('/');
      if (!RUN_ID.test(runId)) throw new SourceRefused(`Invalid source '${source}': expected runs:/<run_id>/<path>.`);
      return { kind: 'run', runId, path: checkedPath(path.join('/'), source) };
    }
    case 'models': {
      const [modelId, ...path] = rest.replace(/^\/+/, '').split('/');
      if (!LOGGED_MODEL_ID.test(modelId)) {
        throw new SourceRefused(
          `The source '${source}' names a registered model version; register from its logged model (models:/<model_id>) or its run instead.`,
        );
      }
      return { kind: 'logged-model', modelId, path: checkedPath(path.join('/'), source) };
    }
    case 'mlflow-artifacts':
      return { kind: 'store', path: checkedPath(rest.replace(/^\/\/[^/]*/, ''), source) };
    case 's3':
      return { kind: 'store', path: s3Path(rest, source, store) };
    case 'file':
      throw new SourceRefused(
        `Local sources are refused ('${source}'): register a model from runs:/, models:/<model_id> or the artifact store.`,
      );
    default:
      throw outsideRoots(source);
  }
}

/**
 * The folder of the store to copy a version from: the named path inside its owner's artifacts. A run or
 * logged model the service never heard of, one whose artifacts were purged, and store paths no run or
 * logged model owns (registry storage among them) are refused.
 */
export function modelFolder(parsed: RegistrationSource, owner: SourceOwner | undefined, source: string): string {
  if (!owner) {
    if (parsed.kind === 'run') throw new SourceRefused(`Run '${parsed.runId}' not found (source '${source}').`);
    if (parsed.kind === 'logged-model') {
      throw new SourceRefused(`Logged model '${parsed.modelId}' not found (source '${source}').`);
    }
    throw outsideRoots(source);
  }
  if (owner.purged) {
    const what = owner.kind === 'run' ? 'run' : 'logged model';
    throw new SourceRefused(`The artifacts of the ${what} '${owner.ownerId}' were purged (source '${source}').`);
  }
  if (parsed.kind === 'store') {
    if (inRegistryStorage(parsed.path) || !(parsed.path === owner.root || parsed.path.startsWith(`${owner.root}/`))) {
      throw outsideRoots(source);
    }
    return parsed.path;
  }
  return parsed.path === '' ? owner.root : `${owner.root}/${parsed.path}`;
}
