/**
 * Preload for `bench --cpu-prof`: Node 20 refuses --cpu-prof in NODE_OPTIONS, but accepts
 * `--require`, so this starts the V8 sampling profiler in the server process and writes a
 * .cpuprofile (Chrome DevTools format) into $LOGBOOK_CPU_PROF_DIR when the process exits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const dir = process.env.LOGBOOK_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.LOGBOOK_CPU_PROF_INTERVAL_US ?? 500) });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // The in-thread inspector session answers synchronously, so this works inside an 'exit' handler.
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) return;
      mkdirSync(dir, { recursive: true });
      const name = (process.argv[1] ?? 'node').split('/').slice(-3).join('-').replace(/\.js$/, '');
      writeFileSync(`${dir}/${name}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  };
  process.on('exit', write);
  // Nest's shutdown hooks end the process by re-raising SIGTERM, which skips 'exit': write on the
  // signal itself. The listener stays (a no-op afterwards), so the service's own handler decides
  // when to exit, as without the profiler.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, write);
}
