import { invalidParameter, MlflowError } from '@logbook/platform';
import { resolveListPrefix } from './artifact-path';

/** The scheme of the artifacts this server proxies and keeps in its own store. */
const PROXIED_SCHEME = 'mlflow-artifacts';
// A scheme, an optional `//authority`, then the path. A scheme needs two letters: `C:` is a Windows drive.
const URI = /^([a-z][a-z0-9+.-]+):(?:\/\/[^/]*)?(.*)$/is;
const WINDOWS_DRIVE = /^[a-z]:(?=\/|$)/i;

/**
 * The path a location names inside its store, judged by the artifact path gatekeeper (resolveListPrefix):
 * `mlflow-artifacts:/1/a`, `mlflow-artifacts://host:5000/1/a`, `s3://bucket/1/a`, `file:///1/a`, `/1/a`
 * `file:///C:/1/a`, `C:/1/a` and `1/a` all name `1/a`. Throws "Invalid path" for traversal, backslashes (so Windows paths must
 * be written with `/`), NUL and the rest.
 */
function storePath(location: string): string {
  const match = URI.exec(location);
  const path = (match ? match[2] : location).replace(/^\/+/, '').replace(WINDOWS_DRIVE, '');
  return resolveListPrefix(path.replace(/^\/+/, ''));
}

function isProxied(location: string): boolean {
  return URI.exec(location)?.[1].toLowerCase() === PROXIED_SCHEME;
}

/**
 * Refuses an experiment's artifact location that could name anything outside the place it points to,
 * with the same gatekeeper as artifact paths: `mlflow-artifacts:/../../canary` would root every run
 * of the experiment outside the artifact store.
 */
export function checkArtifactLocation(location: string): void {
  try {
    storePath(location);
  } catch (error) {
    if (!(error instanceof MlflowError)) throw error;
    throw invalidParameter(
      `Invalid artifact location '${location}': its path must not leave its root (no '..', backslashes, ` +
        'control characters or look-alikes of them)',
    );
  }
}

/**
 * Where a run's or logged model's artifacts live in this server's store: `mlflow-artifacts:/1/abc/artifacts`
 * → `1/abc/artifacts` (normalized, as artifact paths are), `undefined` for a location of another scheme,
 * which clients write to themselves. `{ invalid }` for a location the gatekeeper refuses (stored before
 * locations were checked): it names no place in the store, so nothing may be read, written or deleted there.
 */
export function proxiedRoot(artifactUri: string): { root: string } | { invalid: string } | undefined {
  if (!isProxied(artifactUri)) return undefined;
  try {
    return { root: storePath(artifactUri) };
  } catch (error) {
    if (!(error instanceof MlflowError)) throw error;
    return { invalid: artifactUri };
  }
}

/** False for a root kept from an invalid location (see proxiedRoot): no store operation may use it. */
export function isStoreRoot(root: string): boolean {
  try {
    return resolveListPrefix(root) === root;
  } catch {
    return false;
  }
}
