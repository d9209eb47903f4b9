import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectCommandOutput,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParameter, notFound } from '@logbook/platform';
import { invalidPath, MAX_ARTIFACT_PATH_BYTES, resolveArtifactPath, resolveListPrefix } from '@logbook/artifact-paths';
import { ObjectMeter } from '@logbook/transfers';
import {
  ArtifactStorage,
  bareEtag,
  byName,
  checkPartCount,
  checkPartList,
  checkPartNumber,
  checkRange,
  CompletedPart,
  ListEntry,
  LocatedObject,
  MultipartUpload,
  ObjectRange,
  PutOptions,
  RangeNotSatisfiableError,
  ReadObject,
  StoredObject,
} from './artifact-storage';
import { S3UrlSigner } from './s3-url-signer';

export interface S3StorageConfig {
  endpoint?: string;
  region: string;
  bucket: string;
  /** Folder inside the bucket that holds every artifact; '' for the bucket root. */
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

// S3's limit for one PutObject.
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
// Bodies of unknown length: 8 MiB parts, 4 in flight hold at most ~40 MiB while keeping the store busy.
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;
const DELETE_BATCH = 1000;

const noSuchUpload = (uploadId: string) =>
  notFound(`Multipart upload '${String(uploadId).slice(0, 256)}' does not exist`);

/** Artifacts in an S3 bucket (AWS, S3Proxy or any S3-compatible store), under a configurable prefix. */
export class S3ArtifactStorage implements ArtifactStorage {
  readonly kind = 's3';
  readonly presignsMultipart = true;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly urls: S3UrlSigner;

  constructor(config: S3StorageConfig) {
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      // The SDK's default CRC32 trailers (aws-chunked) are not understood by every S3-compatible store.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.bucket = config.bucket;
    const folder = config.prefix.replace(/^\/+|\/+$/g, '');
    this.prefix = folder ? `${folder}/` : '';
    this.urls = new S3UrlSigner(config, this.client.config.sha256);
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    let objectKey: string;
    try {
      objectKey = this.objectKey(key);
    } catch (error) {
      body.destroy();
      throw error;
    }
    const meter = new ObjectMeter({ maxBytes: options.maxBytes, declaredBytes: options.size });
    if (options.size !== undefined && options.size <= MAX_SINGLE_PUT_BYTES) {
      await this.putInOneRequest(objectKey, body, meter, options.size, options.contentType);
    } else {
      await this.putInParts(objectKey, body, meter, options.contentType);
    }
    return { size: meter.bytes, sha256: meter.digest() };
  }

  /**
   * A body of known length streams straight into one PutObject: nothing is buffered, and a streamed
   * payload is sent unsigned, so the bytes are hashed once (by the meter) instead of twice.
   */
  private async putInOneRequest(
    objectKey: string,
    body: Readable,
    meter: ObjectMeter,
    size: number,
    contentType: string | undefined,
  ): Promise<void> {
    const cancel = new AbortController();
    const sending = this.client
      .send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: meter,
          ContentLength: size,
          ContentType: contentType,
        }),
        { abortSignal: cancel.signal },
      )
      .catch((error: unknown) => {
        meter.destroy(error instanceof Error ? error : new Error(String(error)));
        throw error;
      });
    // A body that fails or ends short must never complete the request: the store would keep what it got.
    const feeding = pipeline(body, meter).catch((error: unknown) => {
      cancel.abort();
      throw error;
    });
    const [fed, sent] = await Promise.allSettled([feeding, sending]);
    if (fed.status === 'fulfilled' && sent.status === 'fulfilled') return;
    throw fed.status === 'rejected' && !(sent.status === 'rejected' && isAbortError(fed.reason))
      ? fed.reason
      : (sent as PromiseRejectedResult).reason;
  }

  /** A body of unknown length (chunked) goes up as a multipart upload of buffered parts, several in flight. */
  private async putInParts(
    objectKey: string,
    body: Readable,
    meter: ObjectMeter,
    contentType: string | undefined,
  ): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: objectKey, Body: meter, ContentType: contentType },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    // If S3 fails first the meter must fail too, or the body would wait on backpressure forever.
    const uploading = upload.done().catch((error: unknown) => {
      meter.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    const [fed, uploaded] = await Promise.allSettled([pipeline(body, meter), uploading]);
    if (uploaded.status === 'fulfilled' && fed.status === 'fulfilled') return;
    // done() aborts the S3 multipart upload before it rejects; abort() stops anything still queued.
    await upload.abort();
    // The body's own failure (a disconnect, the size limit) explains the outcome best, unless it merely
    // reports that lib-storage stopped reading after the store failed.
    if (fed.status === 'rejected' && !(uploaded.status === 'rejected' && isAbortError(fed.reason))) throw fed.reason;
    throw (uploaded as PromiseRejectedResult).reason;
  }

  async get(key: string, range?: ObjectRange): Promise<ReadObject | undefined> {
    const objectKey = this.objectKey(key);
    if (range) checkRange(range);
    let output: GetObjectCommandOutput;
    try {
      output = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (statusOf(error) !== 416) throw error;
      const size = await this.sizeOf(objectKey);
      if (size === undefined) return undefined;
      throw new RangeNotSatisfiableError(size);
    }
    // The response itself: destroying it closes the connection to the store.
    return { body: output.Body as Readable, ...spanOf(output) };
  }

  async locate(key: string): Promise<LocatedObject | undefined> {
    const objectKey = this.objectKey(key);
    let head;
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    if (!head.ETag) throw new Error(`The store returned no ETag for ${objectKey}`);
    return { url: await this.urls.readUrl(objectKey), etag: head.ETag, size: head.ContentLength ?? 0 };
  }

  presignPut(key: string): Promise<string> {
    return this.urls.writeUrl(this.objectKey(key));
  }

  async exists(key: string): Promise<'file' | 'dir' | undefined> {
    if (key === '') return 'dir';
    const objectKey = this.objectKey(key);
    if ((await this.sizeOf(objectKey)) !== undefined) return 'file';
    const page = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${objectKey}/`, MaxKeys: 1 }),
    );
    return (page.KeyCount ?? page.Contents?.length ?? 0) > 0 ? 'dir' : undefined;
  }

  async list(prefix: string): Promise<ListEntry[]> {
    const base = this.directoryKey(prefix);
    const entries: ListEntry[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, Delimiter: '/', ContinuationToken: token }),
      );
      for (const common of page.CommonPrefixes ?? []) {
        const name = (common.Prefix ?? '').slice(base.length, -1);
        if (name) entries.push({ name, isDir: true });
      }
      for (const object of page.Contents ?? []) {
        const name = (object.Key ?? '').slice(base.length);
        // The prefix itself can be a zero-byte "folder/" marker that other tools write: not a child.
        if (name) entries.push({ name, isDir: false, size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return entries.sort(byName);
  }

  async delete(key: string): Promise<number> {
    const objectKey = this.objectKey(key);
    const doomed = (await this.sizeOf(objectKey)) === undefined ? [] : [objectKey];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${objectKey}/`, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) doomed.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (let start = 0; start < doomed.length; start += DELETE_BATCH) {
      const batch = doomed.slice(start, start + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = result.Errors?.[0];
      if (failed) throw new Error(`Deleting ${failed.Key} failed: ${failed.Code} ${failed.Message}`);
    }
    return doomed.length;
  }

  async createMultipart(key: string, parts: number, contentType?: string): Promise<MultipartUpload> {
    const objectKey = this.objectKey(key);
    checkPartCount(parts);
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, ContentType: contentType }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error(`The store returned no upload id for ${objectKey}`);
    const partUrls = await Promise.all(
      Array.from({ length: parts }, (_, index) => this.urls.partUrl(objectKey, uploadId, index + 1)),
    );
    return { uploadId, partUrls };
  }

  /** The proxied fallback: S3 needs a part's length up front, so the part (at most `maxBytes`) is buffered. */
  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    maxBytes: number,
  ): Promise<{ etag: string }> {
    let objectKey: string;
    try {
      objectKey = this.objectKey(key);
      checkPartNumber(partNumber);
    } catch (error) {
      body.destroy();
      throw error;
    }
    const meter = new ObjectMeter({ maxBytes, algorithm: 'md5' });
    const chunks: Buffer[] = [];
    await pipeline(body, meter, collectInto(chunks));
    const data = Buffer.concat(chunks);
    try {
      const output = await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: objectKey,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: data,
          ContentLength: data.length,
        }),
      );
      return { etag: output.ETag ?? `"${meter.digest()}"` };
    } catch (error) {
      throw multipartError(error, uploadId);
    }
  }

  async completeMultipart(key: string, uploadId: string, parts: CompletedPart[]): Promise<{ size: number }> {
    const objectKey = this.objectKey(key);
    checkPartList(parts);
    const uploaded = await this.uploadedParts(objectKey, uploadId);
    for (const part of parts) {
      const stored = uploaded.get(part.partNumber);
      if (!stored || bareEtag(stored.etag) !== bareEtag(part.etag)) {
        // S3Proxy lists no parts, instead of NoSuchUpload, for an upload that is gone.
        if (!(await this.uploadInProgress(objectKey, uploadId))) throw noSuchUpload(uploadId);
        throw invalidParameter(`Part ${part.partNumber} with ETag ${part.etag} was not uploaded`);
      }
    }
    const expected = Math.max(...uploaded.keys());
    if (parts.length < expected) {
      throw invalidParameter(`Part ${parts.length + 1} of ${expected} is missing from the completed upload`);
    }
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: objectKey,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: uploaded.get(part.partNumber)?.etag })),
          },
        }),
      );
    } catch (error) {
      throw multipartError(error, uploadId);
    }
    return { size: parts.reduce((total, part) => total + (uploaded.get(part.partNumber)?.size ?? 0), 0) };
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }),
      );
    } catch (error) {
      if (errorName(error) !== 'NoSuchUpload') throw error;
    }
  }

  /** Keys come from resolveArtifactPath; checking again keeps a caller's slip from reaching the bucket. */
  private objectKey(key: string): string {
    if (resolveArtifactPath(key) !== key) throw invalidPath();
    const objectKey = this.prefix + key;
    if (Buffer.byteLength(objectKey, 'utf8') > MAX_ARTIFACT_PATH_BYTES) throw invalidPath();
    return objectKey;
  }

  private directoryKey(prefix: string): string {
    if (resolveListPrefix(prefix) !== prefix) throw invalidPath();
    return prefix === '' ? this.prefix : `${this.objectKey(prefix)}/`;
  }

  private async sizeOf(objectKey: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async uploadInProgress(objectKey: string, uploadId: string): Promise<boolean> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: objectKey,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      if (page.Uploads?.some((upload) => upload.Key === objectKey && upload.UploadId === uploadId)) return true;
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return false;
  }

  private async uploadedParts(
    objectKey: string,
    uploadId: string,
  ): Promise<Map<number, { etag: string; size: number }>> {
    const parts = new Map<number, { etag: string; size: number }>();
    let marker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId, PartNumberMarker: marker }),
        );
      } catch (error) {
        throw multipartError(error, uploadId);
      }
      for (const part of page.Parts ?? []) {
        if (part.PartNumber && part.ETag) parts.set(part.PartNumber, { etag: part.ETag, size: part.Size ?? 0 });
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return parts;
  }
}

/** What a GetObject answer covers; without Content-Range the store sent the whole object. */
function spanOf(output: GetObjectCommandOutput): Omit<ReadObject, 'body'> {
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(output.ContentRange ?? '');
  if (range) {
    const [start, end, size] = range.slice(1).map(Number);
    return { size, start, end, contentLength: end - start + 1 };
  }
  const size = output.ContentLength ?? 0;
  return { size, start: 0, end: size - 1, contentLength: size };
}

function collectInto(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
}

function multipartError(error: unknown, uploadId: string): unknown {
  switch (errorName(error)) {
    // NoSuchKey is S3Proxy's answer when completing an upload that was aborted or never existed.
    case 'NoSuchUpload':
    case 'NoSuchKey':
      return noSuchUpload(uploadId);
    case 'InvalidPart':
    case 'InvalidPartOrder':
    case 'EntityTooSmall':
      return invalidParameter((error as Error).message);
    default:
      return error;
  }
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string; Code?: string } | undefined)?.Code ?? (error as Error | undefined)?.name;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isAbortError(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === 'ABORT_ERR';
}

function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NoSuchKey' || name === 'NotFound';
}
