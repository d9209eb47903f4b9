import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import { freePort } from '@logbook/testing';
import { InstanceState, UpstreamPool } from './upstream-pool';

/** A service instance whose /health/ready answers what `status` says. */
async function instance(): Promise<{ url: string; server: Server; status: number }> {
  const state = { status: 200 } as { url: string; server: Server; status: number };
  state.server = createServer((request, response) => {
    response.statusCode = request.url === '/health/ready' ? state.status : 404;
    response.end();
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

const silent = pino({ level: 'silent' });
const probing = { probeIntervalMs: 100, probeTimeoutMs: 500 };
const picks = (pool: UpstreamPool, count: number) => Array.from({ length: count }, () => pool.pick());
const statesOf = async (pool: UpstreamPool) =>
  ((await pool.readiness().probe()) as { instances: Record<string, InstanceState> }).instances;

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 5000; waited += 50) {
    if (await condition()) return;
    await delay(50);
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe("the gateway's pool of a service's instances", () => {
  let a: Awaited<ReturnType<typeof instance>>;
  let b: Awaited<ReturnType<typeof instance>>;
  let closed: string;

  before(async () => {
    a = await instance();
    b = await instance();
    closed = `http://127.0.0.1:${await freePort()}`;
  });

  after(() => {
    a.server.close();
    b.server.close();
  });

  it('sends requests to each instance in turn', () => {
    const pool = new UpstreamPool('tracking', [a.url, b.url], probing, silent);
    assert.deepEqual(picks(pool, 4), [a.url, b.url, a.url, b.url]);
  });

  it('stops sending to an instance that fails its readiness check, and sends to it again once it passes', async () => {
    const pool = new UpstreamPool('tracking', [a.url, b.url], probing, silent);
    pool.start();
    try {
      b.status = 503;
      await until(async () => (await statesOf(pool))[b.url] === 'unready', 'b is seen unready');
      assert.deepEqual(new Set(picks(pool, 6)), new Set([a.url]));
      b.status = 200;
      await until(async () => (await statesOf(pool))[b.url] === 'ready', 'b is seen ready again');
      assert.deepEqual(new Set(picks(pool, 6)), new Set([a.url, b.url]));
    } finally {
      pool.stop();
      b.status = 200;
    }
  });

  it('takes an instance a request could not reach out of the rotation until its check passes', async () => {
    const pool = new UpstreamPool('tracking', [a.url, closed], probing, silent);
    pool.unreachable(closed, new Error('connect ECONNREFUSED'));
    assert.deepEqual(new Set(picks(pool, 4)), new Set([a.url]));
    pool.start();
    try {
      await delay(300);
      assert.equal((await statesOf(pool))[closed], 'unreachable', 'a closed port stays out');
    } finally {
      pool.stop();
    }
  });

  it('uses instances that answer but are not ready when none is ready, then any, rather than refusing', async () => {
    const pool = new UpstreamPool('tracking', [a.url, b.url, closed], probing, silent);
    pool.start();
    try {
      a.status = 503;
      b.status = 503;
      await until(async () => Object.values(await statesOf(pool)).every((state) => state !== 'ready'), 'none ready');
      assert.deepEqual(new Set(picks(pool, 6)), new Set([a.url, b.url]));
      pool.unreachable(a.url, new Error('ECONNRESET'));
      pool.unreachable(b.url, new Error('ECONNRESET'));
      assert.deepEqual(new Set(picks(pool, 6)), new Set([a.url, b.url, closed]));
    } finally {
      pool.stop();
      a.status = 200;
      b.status = 200;
    }
  });

  it('keeps the gateway ready while any instance answers, and says which do not', async () => {
    const pool = new UpstreamPool('tracking', [a.url, closed], probing, silent);
    pool.start();
    try {
      await until(async () => (await statesOf(pool))[closed] === 'unreachable', 'the closed port is seen');
      assert.deepEqual(await statesOf(pool), { [a.url]: 'ready', [closed]: 'unreachable' });
      const alone = new UpstreamPool('tracking', [closed], probing, silent);
      alone.unreachable(closed, new Error('ECONNREFUSED'));
      await assert.rejects(alone.readiness().probe(), /no instance of tracking answers/);
    } finally {
      pool.stop();
    }
  });

  it('with dns discovery, makes each address of a host name an instance, and keeps them when a lookup fails', async () => {
    const port = new URL(a.url).port;
    const pool = new UpstreamPool('tracking', [`http://localhost:${port}`], { ...probing, discovery: 'dns' }, silent);
    await pool.discover();
    assert.ok(pool.members.includes(`http://127.0.0.1:${port}`), pool.members.join());
    assert.ok(pool.members.every((member) => !member.includes('localhost')));
    const unresolvable = new UpstreamPool(
      'tracking',
      ['http://logbook-no-such-host.invalid:5001'],
      { ...probing, discovery: 'dns' },
      silent,
    );
    await unresolvable.discover();
    assert.deepEqual(unresolvable.members, ['http://logbook-no-such-host.invalid:5001']);
  });
});
