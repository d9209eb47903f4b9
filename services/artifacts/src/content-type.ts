import { posix } from 'node:path';
import { lookup } from 'mime-types';

// Served as text/plain, as MLflow does, so browsers show rather than run or download them.
const TEXT_FILES =
  /\.(txt|log|err|cfg|conf|cnf|cf|ini|properties|prop|hocon|toml|yaml|yml|xml|json|js|py|py3|csv|tsv|md|rst|ipynb)$|^(MLmodel|MLproject)$/i;

/**
 * The Content-Type an artifact is served with, from its name alone, as MLflow does. Objects are stored
 * with it too, whatever the uploader sent: S3Proxy's Jetty would read an `application/x-www-form-urlencoded`
 * PUT body (curl's default) as form fields and refuse the upload.
 */
export function servedContentType(path: string): string {
  const name = posix.basename(path);
  return TEXT_FILES.test(name) ? 'text/plain' : lookup(name) || 'application/octet-stream';
}
