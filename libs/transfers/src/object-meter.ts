import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { invalidParameter } from '@logbook/platform';

/** Every stream of artifact bytes moves in 1 MiB chunks: 16 KiB defaults cost 2x on large files. */
export const STREAM_HIGH_WATER_MARK = 1024 * 1024;

/** The body crossed `maxBytes`; the store has already discarded what it received. */
export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The object is larger than the limit of ${maxBytes} bytes`);
    this.name = 'ObjectTooLargeError';
  }
}

export interface MeterOptions {
  maxBytes: number;
  algorithm?: 'sha256' | 'md5';
  /** The length the sender declared (Content-Length): any other length fails the stream. */
  declaredBytes?: number;
}

/**
 * Counts and hashes the bytes flowing through, and fails the stream the moment they cross `maxBytes`,
 * so an oversized upload is cut off instead of being stored and deleted afterwards.
 */
export class ObjectMeter extends Transform {
  // Not `size` or `length`: lib-storage would read either as the body's total length before streaming.
  bytes = 0;
  private readonly hash: Hash;
  private readonly maxBytes: number;
  private readonly declaredBytes?: number;

  constructor({ maxBytes, algorithm = 'sha256', declaredBytes }: MeterOptions) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    this.hash = createHash(algorithm);
    this.maxBytes = maxBytes;
    this.declaredBytes = declaredBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new ObjectTooLargeError(this.maxBytes));
      return;
    }
    if (this.declaredBytes !== undefined && this.bytes > this.declaredBytes) {
      callback(this.lengthMismatch());
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.declaredBytes !== undefined && this.bytes !== this.declaredBytes ? this.lengthMismatch() : null);
  }

  /** Hex digest of everything that passed; call once, after the stream finished. */
  digest(): string {
    return this.hash.digest('hex');
  }

  private lengthMismatch() {
    return invalidParameter(`The body is not the ${this.declaredBytes} bytes its Content-Length declared`);
  }
}
