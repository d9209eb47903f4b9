import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@logbook/platform';

/** Where the gateway takes MLflow's web UI from. */
export interface UiConfig {
  /** A build given explicitly (LOGBOOK_UI_DIR), already checked by isUiBuild. */
  dir?: string;
  /** The interpreter whose mlflow package provides the build otherwise (LOGBOOK_UI_PYTHON). */
  python: string;
}

/** Long enough for a cold interpreter start, short enough not to hold up the gateway's start. */
const PYTHON_TIMEOUT_MS = 10_000;

/**
 * Finds the mlflow package without importing it (importing mlflow takes seconds and pulls in its
 * dependencies): find_spec only reads the import path. Prints the package's UI build folder, or nothing.
 */
const FIND_BUILD = [
  'import importlib.util, os',
  "spec = importlib.util.find_spec('mlflow')",
  "print(os.path.join(os.path.dirname(spec.origin), 'server', 'js', 'build') if spec and spec.origin else '')",
].join('\n');

const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
const isDirectory = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** What `mlflow server` needs to serve its UI: the landing page and the bundles it loads from static-files/static/. */
export function isUiBuild(dir: string): boolean {
  return isFile(join(dir, 'index.html')) && isDirectory(join(dir, 'static'));
}

function askPython(python: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', FIND_BUILD], { timeout: PYTHON_TIMEOUT_MS }, (error, stdout) =>
      error ? reject(error) : resolve(stdout.trim()),
    );
  });
}

/**
 * The folder of MLflow's web UI build: LOGBOOK_UI_DIR, else the installed mlflow package's; undefined
 * (with the reason logged) when there is none, and the gateway serves a page saying how to enable it.
 */
export async function locateUiBuild(config: UiConfig, logger: Logger): Promise<string | undefined> {
  if (config.dir) {
    logger.info({ dir: config.dir }, 'serving the MLflow web UI from LOGBOOK_UI_DIR');
    return config.dir;
  }
  let dir: string;
  try {
    dir = await askPython(config.python);
  } catch (error) {
    logger.info(
      { python: config.python, reason: (error as Error).message },
      'MLflow web UI not served: the Python interpreter could not be asked for the mlflow package',
    );
    return undefined;
  }
  if (!dir) {
    logger.info({ python: config.python }, 'MLflow web UI not served: no mlflow package installed for this Python');
    return undefined;
  }
  if (!isUiBuild(dir)) {
    logger.info({ python: config.python, dir }, 'MLflow web UI not served: the mlflow package has no UI build');
    return undefined;
  }
  logger.info({ dir }, 'serving the MLflow web UI of the installed mlflow package');
  return dir;
}
