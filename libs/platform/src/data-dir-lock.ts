import { spawn } from 'node:child_process';
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

/**
 * How long an opener waits for a held lock before refusing. The kernel drops a killed process's lock only
 * once it has torn the process down (its memory first), so a restart right after a kill -9 waits briefly.
 */
const LOCK_WAIT_SECONDS = 3;
/** flock's exit status when the lock stayed held for the whole wait (chosen to differ from its error codes). */
const LOCK_HELD_EXIT = 75;

/**
 * Locks `<dataDir>.lock` for this process with flock(2), so that a second process cannot open the same
 * folder, and returns the release. The kernel releases the lock when this process ends in any way (kill -9
 * included, whatever its PID), so no lock is ever left behind. Node has no flock(2): util-linux's `flock`
 * command takes it on this process's own descriptor, handed to it as fd 3. The lock belongs to the open file
 * description, which this process keeps open after the command has exited.
 */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  const lockFile = `${dataDir.replace(/\/+$/, '')}.lock`;
  const fd = openSync(lockFile, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    const { status, stderr } = await flockDescriptor(fd, dataDir);
    if (status === LOCK_HELD_EXIT) {
      throw new Error(`The embedded database in ${dataDir} is in use by ${recordedHolder(lockFile)}; stop it first`);
    }
    if (status !== 0) {
      throw new Error(
        `Could not lock the embedded database in ${dataDir}: flock exited with ${status}: ${stderr.trim()}`,
      );
    }
    // Only for the message a refused opener shows; the lock itself is the flock.
    ftruncateSync(fd, 0);
    writeSync(fd, String(process.pid), 0);
    return () => closeSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function flockDescriptor(fd: number, dataDir: string): Promise<{ status: number; stderr: string }> {
  const args = [
    '--exclusive',
    '--wait',
    String(LOCK_WAIT_SECONDS),
    '--conflict-exit-code',
    String(LOCK_HELD_EXIT),
    '3',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('flock', args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(`Locking the embedded database in ${dataDir} needs the flock command; install util-linux`)
          : error,
      ),
    );
    child.on('close', (code) => resolve({ status: code ?? -1, stderr }));
  });
}

function recordedHolder(lockFile: string): string {
  const pid = readFileSync(lockFile, 'utf8').trim();
  return /^\d+$/.test(pid) ? `another process (pid ${pid})` : 'another process';
}
