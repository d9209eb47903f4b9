// Smoke check of an S3-compatible server with the AWS SDK v3 (the client Logbook uses).
// Usage: node deploy/checks/s3-smoke.mjs [--when-required]
//   env: S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION S3_BUCKET (defaults: the local S3Proxy of infra.sh)
//   --when-required: requestChecksumCalculation and responseChecksumValidation = 'WHEN_REQUIRED'
//                    (default: the SDK's own defaults, i.e. CRC32 checksums and aws-chunked uploads)
// Prints one line per step and `N passed, M failed`; exits 1 if any step failed.
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  S3Client,
  CreateBucketCommand,
  HeadBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  CopyObjectCommand,
  ListObjectsV2Command,
  DeleteObjectCommand,
  DeleteBucketCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assert, checklist } from './checklist.mjs';

const whenRequired = process.argv.includes('--when-required');
const endpoint = process.env.S3_ENDPOINT ?? 'http://127.0.0.1:18080';
const region = process.env.S3_REGION ?? 'us-east-1';
const accessKeyId = process.env.S3_ACCESS_KEY ?? 'test';
const secretAccessKey = process.env.S3_SECRET_KEY ?? 'testtest';
const appBucket = process.env.S3_BUCKET ?? 'logbook';
const bucket = `smoke-${randomUUID().slice(0, 8)}`;
const STEP_TIMEOUT_MS = 60_000;

const makeClient = (secret) =>
  new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey: secret },
    ...(whenRequired
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
const s3 = makeClient(secretAccessKey);

const { step, finish } = checklist(STEP_TIMEOUT_MS);

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

async function getBytes(key) {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body.transformToByteArray());
}

async function assertObject(key, expected) {
  const got = await getBytes(key);
  assert(
    got.length === expected.length && sha256(got) === sha256(expected),
    `content mismatch for ${key}: ${got.length} bytes instead of ${expected.length}, starts ${JSON.stringify(got.subarray(0, 16).toString('latin1'))}`,
  );
  return `${got.length} bytes`;
}

// Presigned URLs: @aws-sdk/s3-request-presigner when installed, otherwise SigV4 query signing with
// @smithy/signature-v4 (a dependency of @aws-sdk/client-s3), as the presigner does for S3.
let presignerName;
async function presign(method, key, expiresIn = 300) {
  try {
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    presignerName = '@aws-sdk/s3-request-presigner';
    const command =
      method === 'GET'
        ? new GetObjectCommand({ Bucket: bucket, Key: key })
        : new PutObjectCommand({ Bucket: bucket, Key: key });
    return await getSignedUrl(s3, command, { expiresIn });
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  presignerName = '@smithy/signature-v4 (s3-request-presigner not installed)';
  const { SignatureV4 } = await import('@smithy/signature-v4');
  class Sha256 {
    constructor(secret) {
      this.hash = secret ? createHmac('sha256', secret) : createHash('sha256');
    }
    update(data) {
      this.hash.update(data);
    }
    async digest() {
      return new Uint8Array(this.hash.digest());
    }
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const url = new URL(endpoint);
  const signed = await signer.presign(
    {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: `/${bucket}/${key}`,
      query: {},
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    { expiresIn },
  );
  const out = new URL(`${url.origin}${signed.path}`);
  for (const [k, v] of Object.entries(signed.query)) out.searchParams.set(k, v);
  return out.toString();
}

console.log(`S3 ${endpoint} bucket ${bucket}, checksums: ${whenRequired ? 'WHEN_REQUIRED' : 'SDK defaults'}`);

await step(`HeadBucket ${appBucket} (created by infra.sh)`, async () => {
  await s3.send(new HeadBucketCommand({ Bucket: appBucket }));
});

await step('CreateBucket', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

await step('PutObject (string) + GetObject', async () => {
  const body = 'hello logbook';
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: body, ContentType: 'text/plain' }));
  return assertObject('hello.txt', Buffer.from(body));
});

await step('PutObject (Readable + ContentLength) + GetObject', async () => {
  const data = randomBytes(300 * 1024);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'readable.bin',
      Body: Readable.from([data]),
      ContentLength: data.length,
    }),
  );
  return assertObject('readable.bin', data);
});

await step('Upload of a 300 KiB stream of unknown length', async () => {
  const data = randomBytes(300 * 1024);
  const chunks = Array.from({ length: 10 }, (_, i) => data.subarray(i * 30 * 1024, (i + 1) * 30 * 1024));
  await new Upload({ client: s3, params: { Bucket: bucket, Key: 'stream.bin', Body: Readable.from(chunks) } }).done();
  return assertObject('stream.bin', data);
});

const big = randomBytes(12 * 1024 * 1024);
await step('multipart Upload of 12 MiB (5 MiB parts, queueSize 2)', async () => {
  let parts = 0;
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: 'big.bin', Body: Readable.from([big]) },
    partSize: 5 * 1024 * 1024,
    queueSize: 2,
  });
  upload.on('httpUploadProgress', (p) => (parts = Math.max(parts, p.part ?? 0)));
  await upload.done();
  assert(parts === 3, `expected 3 parts, saw ${parts}`);
  return `${parts} parts, ${await assertObject('big.bin', big)}`;
});

await step('HeadObject', async () => {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
  assert(head.ContentLength === big.length, `ContentLength ${head.ContentLength}`);
  return `ETag ${head.ETag}`;
});

await step('CopyObject', async () => {
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'hello-copy.txt', CopySource: `${bucket}/hello.txt` }));
  return assertObject('hello-copy.txt', Buffer.from('hello logbook'));
});

await step('ListObjectsV2', async () => {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const keys = (res.Contents ?? []).map((o) => o.Key).sort();
  const expected = ['big.bin', 'hello-copy.txt', 'hello.txt', 'readable.bin', 'stream.bin'];
  assert(JSON.stringify(keys) === JSON.stringify(expected), `keys ${keys}`);
  return `${keys.length} keys`;
});

await step('presigned GET', async () => {
  const res = await fetch(await presign('GET', 'hello.txt'));
  const text = await res.text();
  assert(res.status === 200 && text === 'hello logbook', `HTTP ${res.status}: ${text.slice(0, 200)}`);
  return presignerName;
});

await step('presigned PUT + GetObject', async () => {
  const data = randomBytes(64 * 1024);
  const res = await fetch(await presign('PUT', 'presigned.bin'), { method: 'PUT', body: data });
  assert(res.status === 200, `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return assertObject('presigned.bin', data);
});

await step('wrong secret key is rejected', async () => {
  const bad = makeClient('wrong-secret');
  try {
    await bad.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad.txt', Body: 'x' }));
  } catch (err) {
    return `${err.name} (HTTP ${err.$metadata?.httpStatusCode})`;
  }
  throw new Error('request with a wrong secret was accepted');
});

await step('DeleteObject (all) + DeleteBucket', async () => {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const { Key } of res.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
});

finish();
