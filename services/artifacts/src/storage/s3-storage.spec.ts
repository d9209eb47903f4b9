import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { CompletedPart } from './artifact-storage';
import { S3ArtifactStorage, S3StorageConfig } from './s3-storage';
import { digest, MiB, Noise, readAll, storageContract, text } from './storage.contract';

/** The real S3 the infrastructure script started (S3Proxy); tests fail loudly without it. */
function configFromEnv(): S3StorageConfig {
  const { S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION, S3_BUCKET } = process.env;
  if (!S3_ENDPOINT || !S3_ACCESS_KEY || !S3_SECRET_KEY || !S3_REGION || !S3_BUCKET) {
    throw new Error(
      'S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION and S3_BUCKET must be set: source .logbook/infra/env',
    );
  }
  return {
    endpoint: S3_ENDPOINT,
    region: S3_REGION,
    bucket: S3_BUCKET,
    prefix: '',
    accessKeyId: S3_ACCESS_KEY,
    secretAccessKey: S3_SECRET_KEY,
    forcePathStyle: true,
  };
}

const TEST_ROOT = 'logbook-tests';
/**
 * S3Proxy's default transient-nio2 backend keeps objects in its JVM heap (-Xmx512m, shared by every suite)
 * and never gives that memory back: Jimfs caches freed blocks, so the heap stays at the most bytes ever
 * held at once, and completing a multipart upload holds the parts and the new object together. The
 * 300 MiB round trip is therefore sent as 30 MiB objects (about 60 MiB of S3Proxy heap for good); the
 * streaming itself is proven by the test that watches parts reach S3 mid-body. Raise this against real S3.
 */
const MAX_OBJECT_MIB = Number(process.env.S3_TEST_MAX_OBJECT_MIB ?? 30);

describe('S3ArtifactStorage', () => {
  const config = configFromEnv();
  const run = `artifacts-${randomUUID()}`;
  const runPrefix = `${TEST_ROOT}/${run}`;
  const raw = new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  });
  const opened: S3ArtifactStorage[] = [];
  const open = (): S3ArtifactStorage => {
    const storage = new S3ArtifactStorage({ ...config, prefix: `${runPrefix}/${opened.length}` });
    opened.push(storage);
    return storage;
  };
  const pendingUploads = async (prefix: string) => {
    const listed = await raw.send(new ListMultipartUploadsCommand({ Bucket: config.bucket, Prefix: prefix }));
    return listed.Uploads ?? [];
  };

  after(async () => {
    for (const upload of await pendingUploads(runPrefix)) {
      await raw.send(
        new AbortMultipartUploadCommand({ Bucket: config.bucket, Key: upload.Key, UploadId: upload.UploadId }),
      );
    }
    const sweeper = new S3ArtifactStorage({ ...config, prefix: TEST_ROOT });
    await sweeper.delete(run);
    const left = await raw.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: `${runPrefix}/` }));
    sweeper.destroy();
    for (const storage of opened) storage.destroy();
    raw.destroy();
    assert.equal(left.KeyCount ?? 0, 0, 'the run prefix is empty again');
  });

  // The S3 server here is S3Proxy with its filesystem backend (deploy/local/infra.sh).
  storageContract({
    open: async () => open(),
    maxObjectBytes: MAX_OBJECT_MIB * MiB,
    failedPutsMayLeaveEmptyFolders: true,
  });

  it('multipart through presigned part URLs, sent the way the MLflow client sends them', async () => {
    const storage = open();
    const upload = await storage.createMultipart('presigned/model.bin', 2, 'application/octet-stream');
    assert.equal(upload.partUrls?.length, 2);
    // Copied into plain Uint8Arrays: fetch's typings refuse a Buffer body.
    const bodies = [
      new Uint8Array(await readAll(new Noise(5 * MiB, 1))),
      new Uint8Array(await readAll(new Noise(MiB + 1, 2))),
    ];
    const parts: CompletedPart[] = [];
    for (const [index, url] of (upload.partUrls ?? []).entries()) {
      // requests.put(url, data=chunk): no auth headers, the signature is in the query string.
      const response = await fetch(url, { method: 'PUT', body: bodies[index] });
      assert.equal(response.status, 200, await response.text());
      const etag = response.headers.get('etag');
      assert.ok(etag, 'the ETag header is readable');
      parts.push({ partNumber: index + 1, etag });
    }
    // A small body: S3Proxy answers 403 before reading a large one and closes the connection mid-upload.
    const tampered = (upload.partUrls?.[0] ?? '').replace('partNumber=1', 'partNumber=2');
    const forged = await fetch(tampered, { method: 'PUT', body: new Uint8Array(16) });
    assert.equal(forged.status, 403, 'the URL is bound to its part');

    assert.deepEqual(await storage.completeMultipart('presigned/model.bin', upload.uploadId, parts), {
      size: 6 * MiB + 1,
    });
    const read = await storage.get('presigned/model.bin');
    assert.ok(read);
    assert.deepEqual(await digest(read.body), await digest(bodies.map((body) => Buffer.from(body))));
  });

  it('a failed or oversized put aborts its S3 multipart upload', async () => {
    const storage = open();
    const prefix = `${runPrefix}/${opened.length - 1}/`;
    const upload = await storage.createMultipart('pending.bin', 1);
    assert.equal((await pendingUploads(prefix)).length, 1, 'the store lists uploads in progress');
    await storage.abortMultipart('pending.bin', upload.uploadId);
    assert.deepEqual(await pendingUploads(prefix), []);

    // Both bodies pass 8 MiB, so lib-storage has started a multipart upload before the failure.
    await assert.rejects(
      storage.put('cut.bin', new Noise(40 * MiB, 1, { failWith: new Error('cut') }), { maxBytes: 64 * MiB }),
    );
    await assert.rejects(storage.put('big.bin', new Noise(64 * MiB, 2), { maxBytes: 20 * MiB }));
    assert.deepEqual(await pendingUploads(prefix), []);
    assert.deepEqual(await storage.list(''), []);
  });

  it('put streams: parts reach S3 while the body is still arriving, and nothing is visible yet', async () => {
    const storage = open();
    const prefix = `${runPrefix}/${opened.length - 1}/`;
    const body = new PassThrough();
    const putting = storage.put('streamed.bin', body, { maxBytes: 64 * MiB });
    for (let index = 0; index < 20; index++) body.write(Buffer.alloc(MiB, index));
    let partsInS3 = 0;
    for (let attempt = 0; attempt < 200 && partsInS3 === 0; attempt++) {
      await sleep(25);
      const [upload] = await pendingUploads(prefix);
      if (!upload) continue;
      const listed = await raw.send(
        new ListPartsCommand({ Bucket: config.bucket, Key: upload.Key, UploadId: upload.UploadId }),
      );
      partsInS3 = listed.Parts?.length ?? 0;
    }
    assert.ok(partsInS3 > 0, 'a part reached S3 before the body ended');
    assert.equal(await storage.exists('streamed.bin'), undefined);
    body.end(Buffer.alloc(MiB, 20));
    assert.equal((await putting).size, 21 * MiB);
    assert.equal(await storage.exists('streamed.bin'), 'file');
  });

  it('keeps every object under the configured prefix', async () => {
    const storage = open();
    const prefix = `${runPrefix}/${opened.length - 1}/`;
    await storage.put('a/b.txt', text('x'), { maxBytes: MiB });
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix }));
    assert.deepEqual(
      listed.Contents?.map((object) => object.Key),
      [`${prefix}a/b.txt`],
    );
  });
});
