import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const INFRA_SCRIPT = resolve(__dirname, '../../../../deploy/local/infra.sh');

/**
 * One component of deploy/local/infra.sh run in a folder of a suite's own, on ports of its own: for
 * tests that stop, restart or kill it, since the shared one must stay up for every other suite.
 */
export class PrivateInfra {
  readonly dir: string;

  constructor(
    prefix: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    const folder = mkdtempSync(join(tmpdir(), prefix));
    // PostgreSQL runs as its own OS user, which has to traverse the folder.
    chmodSync(folder, 0o755);
    this.dir = join(folder, 'infra');
  }

  async command(command: 'up' | 'stop' | 'down'): Promise<void> {
    await run('bash', [INFRA_SCRIPT, command], { env: { ...process.env, ...this.env, LOGBOOK_INFRA_DIR: this.dir } });
  }

  /** Stops it and deletes its data. */
  async destroy(): Promise<void> {
    await this.command('down');
    rmSync(resolve(this.dir, '..'), { recursive: true, force: true });
  }
}
