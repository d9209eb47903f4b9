import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { it } from 'node:test';
import { MlflowError } from '@logbook/platform';
import { ObjectTooLargeError, STREAM_HIGH_WATER_MARK } from '@logbook/transfers';
import { ArtifactStorage, CompletedPart, ListEntry, RangeNotSatisfiableError, ReadObject } from './artifact-storage';

/** The behaviour every ArtifactStorage must have, registered into the caller's `describe`. */
export interface ContractTarget {
  /** An empty store of its own (a fresh folder or key prefix), so a test can assert on the whole root. */
  open(): Promise<ArtifactStorage>;
  /** The largest single object the backend under test can hold; the 300 MiB round trip is split to fit. */
  maxObjectBytes: number;
  /**
   * S3Proxy's filesystem backend creates a key's parent folders before it stores the body, and does not
   * remove them when the PUT fails: an empty folder can stay listed (S3 itself has no folders to leave).
   */
  failedPutsMayLeaveEmptyFolders?: boolean;
}

export const MiB = 1024 * 1024;
const ROUND_TRIP_BYTES = 300 * MiB;
const RSS_GROWTH_LIMIT = 100 * MiB;

export function storageContract(target: ContractTarget): void {
  it('round trip: put reports the size and sha256 of exactly what get streams back', async () => {
    const storage = await target.open();
    const stored = await storage.put('rt/hello.txt', text('hello world'), { contentType: 'text/plain', maxBytes: MiB });
    assert.deepEqual(stored, { size: 11, sha256: sha256Hex('hello world') });
    const read = await storage.get('rt/hello.txt');
    assert.ok(read);
    assert.deepEqual(spanOf(read), { size: 11, start: 0, end: 10, contentLength: 11 });
    assert.equal((await readAll(read.body)).toString(), 'hello world');

    const size = 3 * MiB + 17;
    const expected = await digest(new Noise(size, 7));
    assert.deepEqual(await storage.put('rt/noise.bin', new Noise(size, 7), { maxBytes: 4 * MiB }), expected);
    const noise = await storage.get('rt/noise.bin');
    assert.ok(noise);
    assert.deepEqual(await digest(noise.body), expected);
  });

  it('a body of declared length streams in and round-trips; a longer or shorter one is refused', async () => {
    const storage = await target.open();
    const size = 20 * MiB + 5;
    const expected = await digest(new Noise(size, 21));
    assert.deepEqual(await storage.put('sized/noise.bin', new Noise(size, 21), { maxBytes: 64 * MiB, size }), expected);
    const read = await storage.get('sized/noise.bin');
    assert.ok(read);
    assert.deepEqual(await digest(read.body), expected);
    assert.deepEqual(await storage.put('sized/empty', text(''), { maxBytes: MiB, size: 0 }), {
      size: 0,
      sha256: sha256Hex(''),
    });

    for (const declared of [size - 1, size + 1]) {
      await assert.rejects(
        storage.put('sized/noise.bin', new Noise(size, 22), { maxBytes: 64 * MiB, size: declared }),
        isInvalidParameter,
        `declared ${declared}, sent ${size}`,
      );
      await assert.rejects(
        storage.put('sized/wrong.bin', new Noise(size, 22), { maxBytes: 64 * MiB, size: declared }),
        isInvalidParameter,
      );
    }
    await assertListingSettles(storage, 'sized', [
      { name: 'empty', isDir: false, size: 0 },
      { name: 'noise.bin', isDir: false, size },
    ]);
    const kept = await storage.get('sized/noise.bin');
    assert.ok(kept);
    assert.deepEqual(await digest(kept.body), expected);
  });

  it('an empty object round-trips', async () => {
    const storage = await target.open();
    assert.deepEqual(await storage.put('empty', text(''), { maxBytes: MiB }), { size: 0, sha256: sha256Hex('') });
    const read = await storage.get('empty');
    assert.ok(read);
    assert.equal(read.size, 0);
    assert.equal((await readAll(read.body)).length, 0);
  });

  it('get streams from the first byte', async () => {
    const storage = await target.open();
    await storage.put('chunks.bin', new Noise(4 * MiB, 3), { maxBytes: 8 * MiB });
    const read = await storage.get('chunks.bin');
    assert.ok(read);
    const first = await firstChunk(read.body);
    assert.ok(first.length > 0);
    assert.deepEqual(first.subarray(0, 64), (await readAll(new Noise(64, 3))).subarray(0, 64));
  });

  it('get does not read ahead of its reader by more than a chunk or two', async () => {
    const storage = await target.open();
    await storage.put('ahead.bin', new Noise(16 * MiB, 4), { maxBytes: 16 * MiB });
    const read = await storage.get('ahead.bin');
    assert.ok(read);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(read.body.readableLength <= 2 * STREAM_HIGH_WATER_MARK, `${read.body.readableLength} bytes read ahead`);
    assert.equal((await digest(read.body)).size, 16 * MiB);
  });

  it('range reads: inclusive ends, clamped to the object, and 416 past its end', async () => {
    const storage = await target.open();
    await storage.put('digits.txt', text('0123456789'), { maxBytes: MiB });
    const cases: Array<[{ start: number; end?: number }, string, number]> = [
      [{ start: 2, end: 5 }, '2345', 5],
      [{ start: 7 }, '789', 9],
      [{ start: 8, end: 100 }, '89', 9],
      [{ start: 0, end: 0 }, '0', 0],
    ];
    for (const [range, content, end] of cases) {
      const read = await storage.get('digits.txt', range);
      assert.ok(read);
      assert.deepEqual(spanOf(read), { size: 10, start: range.start, end, contentLength: content.length });
      assert.equal((await readAll(read.body)).toString(), content);
    }
    await assert.rejects(storage.get('digits.txt', { start: 10 }), (error: unknown) => {
      return error instanceof RangeNotSatisfiableError && error.size === 10;
    });
    await assert.rejects(storage.get('digits.txt', { start: 5, end: 2 }), isInvalidParameter);
    await assert.rejects(storage.get('digits.txt', { start: -1 }), isInvalidParameter);

    const size = 3 * MiB;
    await storage.put('noise.bin', new Noise(size, 11), { maxBytes: size });
    const whole = await readAll(new Noise(size, 11));
    const middle = await storage.get('noise.bin', { start: MiB - 3, end: 2 * MiB + 2 });
    assert.ok(middle);
    assert.equal(middle.contentLength, MiB + 6);
    assert.ok((await readAll(middle.body)).equals(whole.subarray(MiB - 3, 2 * MiB + 3)));
  });

  it('get answers undefined for a missing key and for a directory', async () => {
    const storage = await target.open();
    await storage.put('dir/file.txt', text('x'), { maxBytes: MiB });
    assert.equal(await storage.get('missing.txt'), undefined);
    assert.equal(await storage.get('dir'), undefined);
  });

  it('lists the immediate children of the root and of nested directories', async () => {
    const storage = await target.open();
    const files: Array<[string, string]> = [
      ['a.txt', 'aaa'],
      ['b/c.txt', 'ccccc'],
      ['b/d/e.txt', 'e'],
      ['b/f.txt', 'ff'],
      ['z/y.txt', 'y'],
    ];
    for (const [key, content] of files) await storage.put(key, text(content), { maxBytes: MiB });
    assert.deepEqual(await storage.list(''), [
      { name: 'a.txt', isDir: false, size: 3 },
      { name: 'b', isDir: true },
      { name: 'z', isDir: true },
    ]);
    assert.deepEqual(await storage.list('b'), [
      { name: 'c.txt', isDir: false, size: 5 },
      { name: 'd', isDir: true },
      { name: 'f.txt', isDir: false, size: 2 },
    ]);
    assert.deepEqual(await storage.list('b/d'), [{ name: 'e.txt', isDir: false, size: 1 }]);
    assert.deepEqual(await storage.list('missing'), []);
    assert.deepEqual(await storage.list('a.txt'), []);
    assert.equal(await storage.exists(''), 'dir');
    assert.equal(await storage.exists('b'), 'dir');
    assert.equal(await storage.exists('b/d'), 'dir');
    assert.equal(await storage.exists('b/c.txt'), 'file');
    assert.equal(await storage.exists('b/missing'), undefined);
  });

  it('deletes a file, or a directory with everything under it, and counts what it removed', async () => {
    const storage = await target.open();
    for (const key of ['d/one', 'd/sub/two', 'd/sub/deep/three', 'dx', 'keep/x']) {
      await storage.put(key, text(key), { maxBytes: MiB });
    }
    assert.equal(await storage.delete('d/one'), 1);
    assert.equal(await storage.exists('d/one'), undefined);
    assert.equal(await storage.delete('d'), 2);
    assert.equal(await storage.exists('d'), undefined);
    assert.deepEqual(
      (await storage.list('')).map((entry) => entry.name),
      ['dx', 'keep'],
      'a sibling sharing the prefix "d" survives',
    );
    assert.equal(await storage.delete('missing'), 0);
    assert.equal(await storage.delete('keep/x'), 1);
    assert.equal(await storage.exists('keep'), undefined, 'an emptied directory disappears');
  });

  it('overwrites an existing object in one step', async () => {
    const storage = await target.open();
    await storage.put('model/weights', text('version one'), { maxBytes: MiB });
    const second = await storage.put('model/weights', text('v2'), { maxBytes: MiB });
    assert.deepEqual(second, { size: 2, sha256: sha256Hex('v2') });
    const read = await storage.get('model/weights');
    assert.ok(read);
    assert.equal((await readAll(read.body)).toString(), 'v2');
    assert.deepEqual(await storage.list('model'), [{ name: 'weights', isDir: false, size: 2 }]);
  });

  it('a body that fails midway leaves nothing visible and the previous version intact', async () => {
    const storage = await target.open();
    await storage.put('keep.bin', text('the good version'), { maxBytes: 64 * MiB });
    const failure = new Error('client went away');
    await assert.rejects(
      storage.put('keep.bin', new Noise(20 * MiB, 1, { failWith: failure }), { maxBytes: 64 * MiB }),
      failure,
    );
    const kept = await storage.get('keep.bin');
    assert.ok(kept);
    assert.equal((await readAll(kept.body)).toString(), 'the good version');

    await assert.rejects(
      storage.put('fresh/new.bin', new Noise(20 * MiB, 2, { failWith: failure }), { maxBytes: 64 * MiB }),
    );
    // A destroyed request (the socket closed) must count as a failure too, not as the end of the body.
    await assert.rejects(
      storage.put('fresh/cut.bin', new Noise(20 * MiB, 3, { failWith: 'close' }), { maxBytes: 64 * MiB }),
    );
    // The same with the length declared up front, as an HTTP upload with Content-Length.
    const size = 20 * MiB;
    await assert.rejects(
      storage.put('keep.bin', new Noise(size, 4, { failWith: failure }), { maxBytes: 64 * MiB, size }),
      failure,
    );
    await assert.rejects(
      storage.put('fresh/sized.bin', new Noise(size, 5, { failWith: 'close' }), { maxBytes: 64 * MiB, size }),
    );
    const stillKept = await storage.get('keep.bin');
    assert.ok(stillKept);
    assert.equal((await readAll(stillKept.body)).toString(), 'the good version');
    await assertListingSettles(storage, 'fresh', []);
    assert.equal(await storage.exists('fresh/new.bin'), undefined);
    assert.equal(await storage.exists('fresh/cut.bin'), undefined);
    assert.equal(await storage.exists('fresh/sized.bin'), undefined);
    const root = [{ name: 'keep.bin', isDir: false, size: 16 }];
    if (target.failedPutsMayLeaveEmptyFolders) {
      assert.deepEqual(
        (await storage.list('')).filter((entry) => !entry.isDir),
        root,
      );
    } else {
      assert.equal(await storage.exists('fresh'), undefined);
      assert.deepEqual(await storage.list(''), root);
    }
  });

  it('a body over maxBytes fails with ObjectTooLargeError as soon as it crosses the limit', async () => {
    const storage = await target.open();
    await storage.put('capped.bin', text('small'), { maxBytes: MiB });
    const body = new Noise(200 * MiB, 5);
    await assert.rejects(storage.put('capped.bin', body, { maxBytes: 10 * MiB }), (error: unknown) => {
      return error instanceof ObjectTooLargeError && error.maxBytes === 10 * MiB;
    });
    assert.ok(body.produced < 40 * MiB, `read ${body.produced / MiB} MiB of a 200 MiB body past a 10 MiB limit`);
    await assert.rejects(
      storage.put('new/capped.bin', new Noise(11 * MiB, 5), { maxBytes: 10 * MiB }),
      ObjectTooLargeError,
    );
    assert.equal(await storage.exists('new'), undefined);
    const kept = await storage.get('capped.bin');
    assert.ok(kept);
    assert.equal((await readAll(kept.body)).toString(), 'small');
  });

  it('300 MiB up and down streams with RSS growth under 100 MiB', { timeout: 120_000 }, async (t) => {
    const storage = await target.open();
    const objectSize = Math.min(ROUND_TRIP_BYTES, target.maxObjectBytes);
    const count = Math.ceil(ROUND_TRIP_BYTES / objectSize);
    // A small round trip first, so lazily loaded code and connection pools do not count as growth.
    await storage.put('big/warm-up.bin', new Noise(24 * MiB, 99), { maxBytes: 24 * MiB });
    const warmUp = await storage.get('big/warm-up.bin');
    assert.ok(warmUp);
    await digest(warmUp.body);
    await storage.delete('big/warm-up.bin');
    let upMs = 0;
    let downMs = 0;
    const growth = await peakRssGrowth(async () => {
      for (let index = 0; index < count; index++) {
        const size = Math.min(objectSize, ROUND_TRIP_BYTES - index * objectSize);
        const expected = await digest(new Noise(size, 100 + index));
        let started = performance.now();
        const stored = await storage.put(`big/${index}.bin`, new Noise(size, 100 + index), { maxBytes: size });
        upMs += performance.now() - started;
        assert.deepEqual(stored, expected);
        started = performance.now();
        const read = await storage.get(`big/${index}.bin`);
        assert.ok(read);
        assert.deepEqual(await digest(read.body), expected);
        downMs += performance.now() - started;
        await storage.delete(`big/${index}.bin`);
      }
    });
    const mb = ROUND_TRIP_BYTES / 1e6;
    t.diagnostic(
      `${storage.kind}: 300 MiB as ${count} object(s): up ${(mb / (upMs / 1000)).toFixed(0)} MB/s, ` +
        `down ${(mb / (downMs / 1000)).toFixed(0)} MB/s, peak RSS growth ${(growth / MiB).toFixed(1)} MiB`,
    );
    assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
  });

  it('multipart: parts become one object, invisible until completed', async () => {
    const storage = await target.open();
    const upload = await storage.createMultipart('mp/model.bin', 3, 'application/octet-stream');
    assert.equal(typeof upload.uploadId, 'string');
    assert.equal(upload.partUrls?.length, storage.presignsMultipart ? 3 : undefined);
    const sizes = [5 * MiB, 5 * MiB, MiB + 5];
    const parts: CompletedPart[] = [];
    for (const [index, size] of sizes.entries()) {
      const { etag } = await storage.uploadPart(
        'mp/model.bin',
        upload.uploadId,
        index + 1,
        new Noise(size, index),
        8 * MiB,
      );
      parts.push({ partNumber: index + 1, etag });
    }
    assert.equal(await storage.exists('mp/model.bin'), undefined);
    assert.deepEqual(await storage.list('mp'), []);

    assert.deepEqual(await storage.completeMultipart('mp/model.bin', upload.uploadId, parts), { size: 11 * MiB + 5 });
    const expected = await digest(Readable.from(concatenated(sizes.map((size, index) => new Noise(size, index)))));
    const read = await storage.get('mp/model.bin');
    assert.ok(read);
    assert.deepEqual(await digest(read.body), expected);
    assert.deepEqual(await storage.list('mp'), [{ name: 'model.bin', isDir: false, size: 11 * MiB + 5 }]);
  });

  it('multipart: a missing part, an unknown ETag or reordered parts are refused', async () => {
    const storage = await target.open();
    const upload = await storage.createMultipart('mp/bad.bin', 3);
    const parts: CompletedPart[] = [];
    for (const partNumber of [1, 2, 3]) {
      const size = partNumber < 3 ? 5 * MiB : 10;
      const { etag } = await storage.uploadPart(
        'mp/bad.bin',
        upload.uploadId,
        partNumber,
        new Noise(size, partNumber),
        8 * MiB,
      );
      parts.push({ partNumber, etag });
    }
    const [one, two, three] = parts;
    const refused = async (list: typeof parts, message: RegExp) => {
      await assert.rejects(storage.completeMultipart('mp/bad.bin', upload.uploadId, list), (error: unknown) => {
        return isInvalidParameter(error) && message.test((error as Error).message);
      });
    };
    await refused([one, three], /Part 2 is missing/);
    await refused([one, two], /Part 3 of 3 is missing/);
    await refused([two, one, three], /ascending order/);
    await refused([one, one, two, three], /more than once/);
    await refused(
      [one, { partNumber: 2, etag: '"0123456789abcdef0123456789abcdef"' }, three],
      /Part 2 .* was not uploaded/,
    );
    await refused([], /without parts/);
    assert.equal(await storage.exists('mp/bad.bin'), undefined);

    assert.deepEqual(await storage.completeMultipart('mp/bad.bin', upload.uploadId, parts), { size: 10 * MiB + 10 });
    assert.equal(await storage.exists('mp/bad.bin'), 'file');
  });

  it('multipart: abort discards the parts and forgets the upload', async () => {
    const storage = await target.open();
    const upload = await storage.createMultipart('mp/aborted.bin', 2);
    const { etag } = await storage.uploadPart('mp/aborted.bin', upload.uploadId, 1, new Noise(5 * MiB, 1), 8 * MiB);
    await storage.abortMultipart('mp/aborted.bin', upload.uploadId);
    await storage.abortMultipart('mp/aborted.bin', upload.uploadId);
    await assert.rejects(
      storage.completeMultipart('mp/aborted.bin', upload.uploadId, [{ partNumber: 1, etag }]),
      (error: unknown) => error instanceof MlflowError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST',
    );
    assert.equal(await storage.exists('mp/aborted.bin'), undefined);
    assert.deepEqual(await storage.list(''), []);
  });

  it('multipart: a part over maxBytes fails with ObjectTooLargeError', async () => {
    const storage = await target.open();
    const upload = await storage.createMultipart('mp/part.bin', 1);
    await assert.rejects(
      storage.uploadPart('mp/part.bin', upload.uploadId, 1, new Noise(3 * MiB, 1), 2 * MiB),
      ObjectTooLargeError,
    );
    await assert.rejects(storage.createMultipart('mp/none.bin', 0), isInvalidParameter);
    await assert.rejects(storage.createMultipart('mp/many.bin', 10_001), isInvalidParameter);
    await storage.abortMultipart('mp/part.bin', upload.uploadId);
  });

  it('keys that did not come through resolveArtifactPath are refused', async () => {
    const storage = await target.open();
    for (const key of ['../escape', '/abs', 'a//b', 'a/./b', '%2e%2e/x', '']) {
      await assert.rejects(storage.put(key, text('x'), { maxBytes: MiB }), isInvalidParameter, key);
      await assert.rejects(storage.delete(key), isInvalidParameter, key);
    }
    await assert.rejects(storage.get('../../etc/passwd'), isInvalidParameter);
    await assert.rejects(storage.list('../'), isInvalidParameter);
  });
}

/** `size` bytes of deterministic noise, made 1 MiB at a time and never held whole; chunks are read-only. */
export class Noise extends Readable {
  produced = 0;
  private readonly block: Buffer;
  private failing = false;

  constructor(
    private readonly total: number,
    seed: number,
    private readonly options: { failWith?: Error | 'close' } = {},
  ) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    this.block = noiseBlock(seed);
  }

  override _read(): void {
    if (this.options.failWith && this.produced >= this.total / 2) {
      // Fails half-way, after the consumer has had time to store some of it.
      if (!this.failing) {
        this.failing = true;
        const failure = this.options.failWith;
        setTimeout(() => this.destroy(failure === 'close' ? undefined : failure), 20);
      }
      return;
    }
    if (this.produced >= this.total) {
      this.push(null);
      return;
    }
    const length = Math.min(this.block.length, this.total - this.produced);
    if (length < 8) {
      this.produced += length;
      this.push(this.block.subarray(0, length));
      return;
    }
    // Each MiB starts with its offset, so no two are alike and a misplaced one changes the hash. The rest
    // is a view of the shared block: the generator itself allocates nothing that RSS would count.
    const stamp = Buffer.allocUnsafe(8);
    stamp.writeDoubleLE(this.produced, 0);
    this.produced += length;
    this.push(stamp);
    this.push(this.block.subarray(8, length));
  }
}

function noiseBlock(seed: number): Buffer {
  const words = new Uint32Array(MiB / 4);
  let state = seed * 2654435761 || 1;
  for (let index = 0; index < words.length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[index] = state >>> 0;
  }
  return Buffer.from(words.buffer);
}

/**
 * S3Proxy's filesystem backend lists a PUT still in progress as `<name>-<uuid>`, and needs a moment to
 * notice that a client abandoned one: the listing must reach `expected` within 3 s.
 */
async function assertListingSettles(storage: ArtifactStorage, prefix: string, expected: ListEntry[]): Promise<void> {
  const deadline = Date.now() + 3000;
  let listed = await storage.list(prefix);
  while (!isDeepStrictEqual(listed, expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    listed = await storage.list(prefix);
  }
  assert.deepEqual(listed, expected);
}

export function text(content: string): Readable {
  return Readable.from([Buffer.from(content)]);
}

export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export async function digest(
  stream: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

export async function readAll(stream: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function firstChunk(stream: Readable): Promise<Buffer> {
  for await (const chunk of stream) {
    stream.destroy();
    return chunk as Buffer;
  }
  return Buffer.alloc(0);
}

async function* concatenated(streams: Readable[]): AsyncGenerator<Buffer> {
  for (const stream of streams) yield* stream;
}

function spanOf(read: ReadObject): Omit<ReadObject, 'body'> {
  return { size: read.size, start: read.start, end: read.end, contentLength: read.contentLength };
}

export function isInvalidParameter(error: unknown): boolean {
  return error instanceof MlflowError && error.errorCode === 'INVALID_PARAMETER_VALUE';
}

async function peakRssGrowth(work: () => Promise<void>): Promise<number> {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage.rss()) - baseline;
}
