import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { STREAM_HIGH_WATER_MARK } from '@logbook/transfers';
import { LocalArtifactStorage } from './local-storage';
import { isInvalidParameter, MiB, Noise, readAll, storageContract, text } from './storage.contract';

const outsideRoot = (error: unknown) =>
  isInvalidParameter(error) && /outside the artifact directory/.test((error as Error).message);

describe('LocalArtifactStorage', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'logbook-artifacts-'));
  });
  after(() => rm(base, { recursive: true, force: true }));
  const freshRoot = () => join(base, randomUUID());

  storageContract({ open: () => LocalArtifactStorage.open(freshRoot()), maxObjectBytes: Number.POSITIVE_INFINITY });

  it('reads files in 1 MiB chunks (the 64 KiB default costs twice the CPU on large files)', async () => {
    const storage = await LocalArtifactStorage.open(freshRoot());
    await storage.put('chunks.bin', new Noise(4 * MiB, 3), { maxBytes: 8 * MiB });
    const read = await storage.get('chunks.bin');
    assert.ok(read);
    assert.equal(read.body.readableHighWaterMark, STREAM_HIGH_WATER_MARK);
    const chunks = await read.body.toArray();
    assert.deepEqual(
      chunks.map((chunk: Buffer) => chunk.length),
      [MiB, MiB, MiB, MiB],
    );
  });

  it('refuses symlinks planted in the root for read, write and delete, and nothing outside changes', async () => {
    const root = freshRoot();
    const storage = await LocalArtifactStorage.open(root);
    const outside = join(base, `outside-${randomUUID()}`);
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'do not touch');
    await symlink(outside, join(root, 'linked-dir'));
    await symlink(join(outside, 'secret.txt'), join(root, 'linked-file'));
    await mkdir(join(root, 'real'));
    await symlink(outside, join(root, 'real', 'nested-link'));

    for (const key of ['linked-dir/secret.txt', 'linked-file', 'real/nested-link/secret.txt', 'linked-dir']) {
      await assert.rejects(storage.get(key), outsideRoot, `get ${key}`);
      await assert.rejects(storage.put(key, text('overwritten'), { maxBytes: MiB }), outsideRoot, `put ${key}`);
      await assert.rejects(storage.delete(key), outsideRoot, `delete ${key}`);
      await assert.rejects(storage.exists(key), outsideRoot, `exists ${key}`);
    }
    await assert.rejects(storage.put('linked-dir/planted.txt', text('planted'), { maxBytes: MiB }), outsideRoot);
    await assert.rejects(storage.put('real/nested-link/planted.txt', text('planted'), { maxBytes: MiB }), outsideRoot);
    await assert.rejects(storage.list('linked-dir'), outsideRoot);
    await assert.rejects(storage.createMultipart('linked-dir/upload.bin', 1), outsideRoot);

    assert.deepEqual(await readdir(outside), ['secret.txt']);
    assert.equal(await readFile(join(outside, 'secret.txt'), 'utf8'), 'do not touch');
    assert.deepEqual(await storage.list(''), [{ name: 'real', isDir: true }], 'symlinks are not listed');
    assert.deepEqual(await storage.list('real'), []);
  });

  it('stages uploads inside the root and publishes them only when complete', async () => {
    const root = freshRoot();
    const storage = await LocalArtifactStorage.open(root);
    const body = new PassThrough();
    const putting = storage.put('staged/model.bin', body, { maxBytes: 8 * MiB });
    body.write(Buffer.alloc(MiB, 1));
    let staged: string[] = [];
    for (let attempt = 0; attempt < 100 && staged.length === 0; attempt++) {
      await sleep(10);
      staged = await readdir(join(root, '.incoming'));
    }
    assert.equal(staged.length, 1, 'the partial upload is a temp file in <root>/.incoming');
    assert.equal(await storage.exists('staged/model.bin'), undefined);
    assert.deepEqual(await storage.list(''), []);
    body.end(Buffer.alloc(MiB, 2));
    assert.equal((await putting).size, 2 * MiB);
    assert.deepEqual(await readdir(join(root, '.incoming')), []);
    assert.equal((await stat(join(root, 'staged', 'model.bin'))).size, 2 * MiB);
  });

  it('keeps its working folders out of listings and out of reach', async () => {
    const root = freshRoot();
    const storage = await LocalArtifactStorage.open(root);
    await storage.put('visible.txt', text('hi'), { maxBytes: MiB });
    await storage.createMultipart('pending.bin', 2);
    await assert.rejects(
      storage.put('failed.bin', new Noise(4 * MiB, 1, { failWith: new Error('cut') }), { maxBytes: 8 * MiB }),
    );
    assert.deepEqual(await storage.list(''), [{ name: 'visible.txt', isDir: false, size: 2 }]);
    assert.deepEqual(await readdir(join(root, '.incoming')), [], 'a failed upload leaves no temp file');
    for (const key of ['.incoming', '.incoming/x', '.multipart/x/upload.json']) {
      await assert.rejects(storage.get(key), isInvalidParameter, key);
      await assert.rejects(storage.put(key, text('x'), { maxBytes: MiB }), isInvalidParameter, key);
      await assert.rejects(storage.delete(key), isInvalidParameter, key);
    }
    await assert.rejects(storage.list('.multipart'), isInvalidParameter);
  });

  it('refuses upload ids that are not its own', async () => {
    const storage = await LocalArtifactStorage.open(freshRoot());
    const { uploadId } = await storage.createMultipart('a.bin', 1);
    for (const forged of ['../../etc', '..', '', 'x'.repeat(36)]) {
      await assert.rejects(
        storage.uploadPart('a.bin', forged, 1, text('x'), MiB),
        (error: unknown) => error instanceof Error && /does not exist/.test(error.message),
      );
    }
    await assert.rejects(storage.uploadPart('b.bin', uploadId, 1, text('x'), MiB), /belongs to another path/);
    await assert.rejects(storage.uploadPart('a.bin', uploadId, 2, text('x'), MiB), /beyond the 1 parts/);
  });

  it('answers a clear error when a file stands where a directory is needed, or the reverse', async () => {
    const storage = await LocalArtifactStorage.open(freshRoot());
    await storage.put('a', text('file'), { maxBytes: MiB });
    await assert.rejects(storage.put('a/b', text('x'), { maxBytes: MiB }), /'a' is a file/);
    assert.equal(await storage.get('a/b'), undefined);
    assert.equal(await storage.exists('a/b'), undefined);
    assert.equal(await storage.delete('a/b'), 0);
    await storage.put('dir/x', text('x'), { maxBytes: MiB });
    await assert.rejects(storage.put('dir', text('x'), { maxBytes: MiB }), /it is a directory/);
    const kept = await storage.get('a');
    assert.ok(kept);
    assert.equal((await readAll(kept.body)).toString(), 'file');
  });
});
