/**
 * Summarises a V8 .cpuprofile (as written by `bench --cpu-prof`): where the process spent its CPU,
 * by package or source file (self time) and by function (self and inclusive time).
 *
 *   node dist/test/bench/profile-summary.js <file.cpuprofile> [--top N] [--match TEXT]
 *
 * --match restricts the inclusive table to functions whose name or file contains TEXT.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

/** The bucket a frame's self time goes to: an npm package, a Logbook source folder, or a V8 pseudo-frame. */
function bucket(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return url
      .slice(dist + 1)
      .split('/')
      .slice(0, 4)
      .join('/');
  return url;
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    console.error('usage: profile-summary <file.cpuprofile> [--top N] [--match TEXT]');
    process.exit(2);
  }
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
  const matchIndex = args.indexOf('--match');
  const match = matchIndex >= 0 ? args[matchIndex + 1] : undefined;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (f: CallFrame) =>
    `${f.functionName || '(anonymous)'}  ${f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`.trim();

  const selfByBucket = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000; // ms
    const leaf = byId.get(profile.samples[i]);
    if (!leaf) continue;
    if (leaf.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    selfByBucket.set(bucket(leaf.callFrame), (selfByBucket.get(bucket(leaf.callFrame)) ?? 0) + dt);
    selfByFunction.set(key(leaf.callFrame), (selfByFunction.get(key(leaf.callFrame)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const k = key((byId.get(id) as ProfileNode).callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const wall = (profile.endTime - profile.startTime) / 1000;
  const pct = (ms: number) => `${((100 * ms) / total).toFixed(1).padStart(5)}%`;
  const table = (title: string, entries: Map<string, number>, n: number, filter?: (k: string) => boolean) => {
    console.log(`\n${title}`);
    [...entries]
      .filter(([k]) => !filter || filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .forEach(([k, ms]) => console.log(`  ${pct(ms)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${k}`));
  };
  console.log(
    `${file}\n  profile span ${(wall / 1000).toFixed(1)} s, busy ${(total / 1000).toFixed(2)} s, idle ${(idle / 1000).toFixed(2)} s`,
  );
  table('Self time by package / source folder', selfByBucket, top);
  table('Self time by function', selfByFunction, top);
  table(
    `Inclusive time by function${match ? ` (matching "${match}")` : ''}`,
    inclusive,
    top,
    (k) => !k.startsWith('(root)') && (!match || k.includes(match)),
  );
}

main();
