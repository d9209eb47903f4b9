import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { HttpGrantSource, INTERNAL_ACCESS_ROUTES } from './http-grant-source';

describe("grants read through the gateway's internal endpoint", () => {
  it('reads a user without grants as no grants: MLflow-shaped JSON leaves the empty list out', async () => {
    const asked: string[] = [];
    const gateway = createServer((request, response) => {
      asked.push(request.url ?? '');
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ defaultPermission: 'READ' }));
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      const source = new HttpGrantSource(url, 'a key of at least 32 characters for specs', 'artifacts');
      const grants = await source.grantsOf({ userId: '2', username: 'u1', groups: [] });
      assert.deepEqual(grants, { grants: [], defaultPermission: 'READ', roles: [] });
      assert.deepEqual(asked, [INTERNAL_ACCESS_ROUTES.grants]);
    } finally {
      gateway.close();
    }
  });

  it('looks a user up by name, and reads an answer without one as no such user', async () => {
    const asked: Array<{ url: string; body: string }> = [];
    const gateway = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        asked.push({ url: request.url ?? '', body });
        const { username } = JSON.parse(body) as { username: string };
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify(username === 'alice' ? { user: { userId: '7', username: 'alice', isAdmin: false } } : {}),
        );
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      const source = new HttpGrantSource(url, 'a key of at least 32 characters for specs', 'registry');
      assert.deepEqual(await source.userNamed('alice'), { userId: '7', username: 'alice', isAdmin: false });
      assert.equal(await source.userNamed('mallory'), null);
      assert.deepEqual(asked, [
        { url: INTERNAL_ACCESS_ROUTES.users, body: '{"username":"alice"}' },
        { url: INTERNAL_ACCESS_ROUTES.users, body: '{"username":"mallory"}' },
      ]);
    } finally {
      gateway.close();
    }
  });
});
