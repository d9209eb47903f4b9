/**
 * Byte moving for the bench's artifact workload (bench.ts `--only artifacts`): the deterministic source
 * file, streaming HTTP transfers with their timings, and the direct copies that serve as the ceiling
 * (S3 through the same SDK settings the artifacts service uses, or a plain filesystem copy).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { IncomingHttpHeaders, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MIB = 1024 * 1024;
/** Chunk size of the bench's own file streams; the service streams in 1 MiB chunks too. */
const CHUNK = MIB;
/** S3's limit for one PutObject; the artifacts service switches to multipart above it, and so does the ceiling. */
const SINGLE_PUT_MAX_BYTES = 5 * 1024 ** 3;

// ------------------------------------------------------------------------------------------ source file

export interface SourceFile {
  path: string;
  size: number;
  sha256: string;
  /** Seconds spent generating it in this run; absent when an existing file was reused. */
  generatedSeconds?: number;
  reused: boolean;
}

/** The AES-128-CTR keystream of a fixed key: incompressible, identical on every machine, ~1.7 GB/s. */
const GENERATOR = 'aes-128-ctr(key="logbook-bench-v1",iv=0)';
const KEY = Buffer.from('logbook-bench-v1', 'utf8');
const IV = Buffer.alloc(16);

interface Sidecar {
  generator: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * `<dir>/artifact-<mib>MiB.bin`, generated once and reused while it has the right size. Its sha256 is
 * kept in a sidecar `.json` (checked against size and mtime), so a reuse costs no hashing.
 */
export async function ensureSourceFile(dir: string, mib: number, log: (m: string) => void): Promise<SourceFile> {
  const size = mib * MIB;
  const path = `${dir}/artifact-${mib}MiB.bin`;
  const sidecarPath = `${path}.json`;
  const stats = existsSync(path) ? statSync(path) : undefined;
  if (stats?.isFile() && stats.size === size) {
    const sidecar = readSidecar(sidecarPath);
    if (sidecar && sidecar.size === size && sidecar.mtimeMs === stats.mtimeMs) {
      return { path, size, sha256: sidecar.sha256, reused: true };
    }
    log(`artifacts: hashing the existing ${mib} MiB source file ${path}`);
    const sha256 = await hashFile(path);
    writeSidecar(sidecarPath, { generator: 'unknown (reused)', size, mtimeMs: stats.mtimeMs, sha256 });
    return { path, size, sha256, reused: true };
  }
  log(`artifacts: generating a ${mib} MiB source file ${path} (${GENERATOR})`);
  const t0 = performance.now();
  const partial = `${path}.partial`;
  const cipher = createCipheriv('aes-128-ctr', KEY, IV);
  const zeros = Buffer.alloc(8 * MIB);
  const hash = createHash('sha256');
  const handle = await open(partial, 'w', 0o644);
  try {
    for (let written = 0; written < size;) {
      const n = Math.min(zeros.length, size - written);
      const block = cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
      hash.update(block);
      for (let offset = 0; offset < block.length;) {
        const { bytesWritten } = await handle.write(block, offset, block.length - offset);
        offset += bytesWritten;
      }
      written += n;
    }
  } catch (error) {
    await handle.close();
    await rm(partial, { force: true });
    throw error;
  }
  await handle.close();
  await rename(partial, path);
  const sha256 = hash.digest('hex');
  writeSidecar(sidecarPath, { generator: GENERATOR, size, mtimeMs: statSync(path).mtimeMs, sha256 });
  return { path, size, sha256, reused: false, generatedSeconds: Math.round(performance.now() - t0) / 1000 };
}

function readSidecar(path: string): Sidecar | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Sidecar;
  } catch {
    return undefined;
  }
}

function writeSidecar(path: string, sidecar: Sidecar): void {
  writeFileSync(path, `${JSON.stringify(sidecar, null, 2)}\n`);
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `length` bytes of a file from `start`. */
export async function readSlice(path: string, start: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

// ------------------------------------------------------------------------------------------ transfers

/** One timed transfer. Times are from just before the request was issued. */
export interface Transfer {
  status: number;
  /** Bytes of the payload: sent (uploads) or received (downloads). */
  bytes: number;
  seconds: number;
  /** Until the response headers (HTTP) or the SDK's response object (S3) arrived. */
  headersMs: number;
  /** Downloads: until the first body byte arrived. */
  ttfbMs?: number;
  /** Downloads: sha256 of what arrived. */
  sha256?: string;
  headers?: IncomingHttpHeaders;
  /** The body, when asked to keep it, or when the answer is an error (first 64 KiB). */
  body?: Buffer;
}

interface Consumed {
  bytes: number;
  sha256: string;
  ttfbMs: number;
  body?: Buffer;
}

/**
 * Reads a stream to its end, hashing every byte (as a client checking what it got would), and notes
 * when the first byte came. `keep` keeps the whole body, a number keeps up to that many bytes.
 */
function consume(stream: Readable, t0: number, keep: boolean | number): Promise<Consumed> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    const limit = keep === true ? Infinity : keep === false ? 0 : keep;
    let kept = 0;
    let bytes = 0;
    let ttfbMs = NaN;
    let ended = false;
    stream.on('data', (chunk: Buffer) => {
      if (bytes === 0) ttfbMs = performance.now() - t0;
      bytes += chunk.length;
      hash.update(chunk);
      if (kept < limit) {
        const piece = chunk.length <= limit - kept ? chunk : chunk.subarray(0, limit - kept);
        chunks.push(piece);
        kept += piece.length;
      }
    });
    stream.once('end', () => {
      ended = true;
      resolve({
        bytes,
        sha256: hash.digest('hex'),
        ttfbMs,
        ...(limit > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
    });
    stream.on('error', reject);
    stream.once('close', () => {
      if (!ended) reject(new Error(`stream closed after ${bytes} bytes, before its end`));
    });
  });
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/** A streaming PUT of a file with its Content-Length, as MLflow's client sends artifacts. */
export function httpUpload(url: string, file: string, size: number, timeoutMs: number): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const source = createReadStream(file, { highWaterMark: CHUNK });
    const req = request(url, {
      method: 'PUT',
      agent: false,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      source.destroy();
      req.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    req.once('response', (res) => {
      const headersMs = performance.now() - t0;
      consume(res, t0, 64 * 1024).then((answer) => {
        if (settled) return;
        settled = true;
        source.destroy(); // an early error answer leaves the rest of the file unsent
        resolve({
          status: res.statusCode ?? 0,
          bytes: size,
          seconds: (performance.now() - t0) / 1000,
          headersMs,
          headers: res.headers,
          body: answer.body,
        });
      }, fail);
    });
    req.on('error', fail);
    source.on('error', fail);
    source.pipe(req);
  });
}

/** A GET read to its end and hashed; `range` is sent as the Range header. */
export function httpDownload(
  url: string,
  options: { timeoutMs: number; range?: string; keep?: boolean },
): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, {
      method: 'GET',
      agent: false,
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: options.range ? { range: options.range } : {},
    });
    req.once('response', (res) => {
      const headersMs = performance.now() - t0;
      const status = res.statusCode ?? 0;
      const keep = options.keep ? true : isSuccess(status) ? false : 64 * 1024;
      consume(res, t0, keep).then(
        (answer) =>
          resolve({
            status,
            bytes: answer.bytes,
            seconds: (performance.now() - t0) / 1000,
            headersMs,
            ttfbMs: answer.ttfbMs,
            sha256: answer.sha256,
            headers: res.headers,
            body: answer.body,
          }),
        reject,
      );
    });
    req.on('error', reject);
    req.end();
  });
}

// ------------------------------------------------------------------------------------------ direct copies (the ceiling)

export interface S3Settings {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The store without Logbook: what a client holding S3 credentials gets, with the artifacts service's SDK settings. */
export class DirectS3 {
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      // As services/artifacts/src/storage/s3-storage.ts: no CRC32 trailers or response validation.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  get description(): string {
    return `${this.settings.endpoint}/${this.settings.bucket}`;
  }

  /**
   * The way the artifacts service stores a body of known length: one streamed PutObject up to S3's 5 GiB
   * limit, above it lib-storage with the service's part size (8 MiB) and queue (4 parts in flight).
   */
  async upload(file: string, key: string, size: number, timeoutMs: number): Promise<Transfer> {
    const t0 = performance.now();
    const params = {
      Bucket: this.settings.bucket,
      Key: key,
      Body: createReadStream(file, { highWaterMark: CHUNK }),
      ContentType: 'application/octet-stream',
    };
    if (size <= SINGLE_PUT_MAX_BYTES) {
      await this.client.send(new PutObjectCommand({ ...params, ContentLength: size }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    } else {
      const upload = new Upload({
        client: this.client,
        params,
        partSize: 8 * MIB,
        queueSize: 4,
        leavePartsOnError: false,
      });
      const timer = setTimeout(() => void upload.abort(), timeoutMs);
      try {
        await upload.done();
      } finally {
        clearTimeout(timer);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    return { status: 200, bytes: size, seconds, headersMs: seconds * 1000 };
  }

  static method(size: number): string {
    return size <= SINGLE_PUT_MAX_BYTES ? 'one streamed PutObject' : 'lib-storage, 8 MiB parts x 4';
  }

  async download(key: string, timeoutMs: number): Promise<Transfer> {
    const t0 = performance.now();
    const output = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    const headersMs = performance.now() - t0;
    const answer = await consume(output.Body as Readable, t0, false);
    return {
      status: output.$metadata.httpStatusCode ?? 0,
      bytes: answer.bytes,
      seconds: (performance.now() - t0) / 1000,
      headersMs,
      ttfbMs: answer.ttfbMs,
      sha256: answer.sha256,
    };
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return true;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** The local-folder ceiling: a streamed copy made durable at the end, as the local backend writes. */
export async function fsCopy(source: string, target: string, size: number): Promise<Transfer> {
  const t0 = performance.now();
  await pipeline(
    createReadStream(source, { highWaterMark: CHUNK }),
    createWriteStream(target, { highWaterMark: CHUNK, flags: 'wx', flush: true }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { status: 200, bytes: size, seconds, headersMs: seconds * 1000 };
}

/** The local-folder ceiling for reads: the file streamed and hashed, like a download. */
export async function fsRead(path: string): Promise<Transfer> {
  const t0 = performance.now();
  const answer = await consume(createReadStream(path, { highWaterMark: CHUNK }), t0, false);
  return {
    status: 200,
    bytes: answer.bytes,
    seconds: (performance.now() - t0) / 1000,
    headersMs: answer.ttfbMs,
    ttfbMs: answer.ttfbMs,
    sha256: answer.sha256,
  };
}
