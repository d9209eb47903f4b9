import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { HttpGrantSource } from './http-grant-source';

describe('HttpGrantSource', () => {
  it('reads a user without grants from the gateway’s answer, which leaves the empty list out', async () => {
    // given a gateway answering as its reply serializer does for a user who holds no grant
    const server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ defaultPermission: 'NO_PERMISSIONS' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const source = new HttpGrantSource(`http://127.0.0.1:${port}`, 'k'.repeat(64), 'tracking');
      // when the service reads the user's grants
      const grants = await source.grantsOf({ userId: '2', username: 'alice', groups: [] });
      // then they are no grants, with the default
      assert.deepEqual(grants, { grants: [], defaultPermission: 'NO_PERMISSIONS' });
    } finally {
      server.close();
    }
  });
});
