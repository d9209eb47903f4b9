import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { ObjectTooLargeError, STREAM_HIGH_WATER_MARK } from './artifact-storage';

/**
 * Counts and hashes the bytes flowing through, and fails the stream the moment they cross `maxBytes`,
 * so an oversized upload is cut off instead of being stored and deleted afterwards.
 */
export class ObjectMeter extends Transform {
  // Not `size` or `length`: lib-storage would read either as the body's total length before streaming.
  bytes = 0;
  private readonly hash: Hash;

  constructor(
    private readonly maxBytes: number,
    algorithm: 'sha256' | 'md5' = 'sha256',
  ) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new ObjectTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Hex digest of everything that passed; call once, after the stream finished. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
