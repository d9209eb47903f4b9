import { connect } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { endpointOf, HEAD_END, parseAnswerHead, getRequestHead } from './store-connection';

/** Bytes taken from the store's socket per read: four times what Node's stream reads take. */
const READ_BYTES = 256 * 1024;
/** Read buffers a download keeps for reuse; one more is made only while all of them wait to be written. */
const KEPT_BUFFERS = 4;
/** The store's status line and headers, which must come whole within this many bytes. */
const MAX_HEAD_BYTES = 64 * 1024;

export interface StoreGet {
  /** A presigned `http:` URL. */
  url: URL;
  headers: Record<string, string>;
  /** The only answer taken: this status, with exactly this Content-Length. */
  status: number;
  length: number;
  /** Without a byte from the store for this long, the download fails. */
  timeoutMs: number;
}

/**
 * The body of a download the gateway reads from a plain-HTTP store. Node's HTTP client hands every
 * socket read over as a new 64 KiB Buffer; here the socket reads into a few buffers of 256 KiB (net's
 * `onread`), each written to the client's response and read into again once that write is done, which
 * halved the gateway's CPU per downloaded GiB (docs/benchmarks.md, "Issue 15: the artifact byte path").
 *
 * Fastify sends a stream payload by piping it into the response, so `pipe` is where the copying
 * starts: it writes to the response itself, because only a write's callback tells when its buffer is
 * free. A store that fails or ends early destroys the body with an error, and Fastify then destroys
 * the response: the client never sees a short body as a complete one.
 */
export class StoreBody extends Readable {
  private readonly kept: Buffer[] = [];
  private readonly socket;
  private head: Buffer = Buffer.alloc(0);
  /** Body bytes that came with the head, written first. */
  private early: Buffer = Buffer.alloc(0);
  private remaining: number;
  private headRead = false;
  private destination?: Writable;
  private resolveOpened!: () => void;
  private rejectOpened!: (error: Error) => void;
  /** Resolves once the store answered the expected status and length, before any body byte is written. */
  readonly opened = new Promise<void>((resolve, reject) => {
    this.resolveOpened = resolve;
    this.rejectOpened = reject;
  });

  constructor(private readonly get: StoreGet) {
    super();
    this.remaining = get.length;
    this.socket = connect({
      ...endpointOf(get.url),
      onread: {
        buffer: () => this.nextReadBuffer(),
        callback: (bytes, buffer) => this.received(bytes, buffer as Buffer),
      },
    });
    this.socket.setTimeout(get.timeoutMs, () =>
      this.fail(new Error(`No answer from the store within ${get.timeoutMs} ms`)),
    );
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => {
      if (this.remaining > 0) this.fail(new Error(`The store closed the connection ${this.remaining} bytes short`));
    });
    this.socket.write(getRequestHead(get.url, get.headers));
    this.opened.catch(() => undefined);
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T): T {
    this.destination = destination as unknown as Writable;
    const early = this.early;
    this.early = Buffer.alloc(0);
    if (early.length > 0) this.write(early, () => undefined);
    if (this.remaining === 0) this.finish();
    else if (!this.destroyed) this.socket.resume();
    return destination;
  }

  override _read(): void {}

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    this.rejectOpened(error ?? new Error('The download was closed before the store answered'));
    callback(error);
  }

  private nextReadBuffer(): Buffer {
    return this.kept.pop() ?? Buffer.allocUnsafeSlow(READ_BYTES);
  }

  private keep(buffer: Buffer): void {
    if (this.kept.length < KEPT_BUFFERS) this.kept.push(buffer);
  }

  /** net's `onread` callback: false pauses the socket. */
  private received(bytes: number, buffer: Buffer): boolean {
    if (this.destroyed) return false;
    if (!this.headRead) return this.receivedHead(buffer.subarray(0, bytes), buffer);
    if (!this.destination) {
      this.fail(new Error('The store sent bytes before the body was asked for'));
      return false;
    }
    if (bytes > this.remaining) {
      this.fail(new Error('The store sent more bytes than it announced'));
      return false;
    }
    this.remaining -= bytes;
    const flowing = this.write(buffer.subarray(0, bytes), () => this.keep(buffer));
    if (this.remaining === 0) {
      this.finish();
      return false;
    }
    if (!flowing) this.destination.once('drain', () => this.socket.resume());
    return flowing;
  }

  private receivedHead(bytes: Buffer, buffer: Buffer): boolean {
    this.head = Buffer.concat([this.head, bytes]);
    this.keep(buffer);
    const end = this.head.indexOf(HEAD_END);
    if (end < 0) {
      if (this.head.length > MAX_HEAD_BYTES) this.fail(new Error('The store answered with oversized headers'));
      return true;
    }
    const problem = unexpectedAnswer(this.head.subarray(0, end).toString('latin1'), this.get);
    if (problem) {
      this.fail(new Error(problem));
      return false;
    }
    this.early = this.head.subarray(end + HEAD_END.length);
    this.head = Buffer.alloc(0);
    if (this.early.length > this.remaining) {
      this.fail(new Error('The store sent more bytes than it announced'));
      return false;
    }
    this.remaining -= this.early.length;
    this.headRead = true;
    this.resolveOpened();
    return false;
  }

  private write(chunk: Buffer, written: () => void): boolean {
    return (this.destination as Writable).write(chunk, written);
  }

  /** Every byte was handed to the response: the body ends as a stream would, and the store's socket closes. */
  private finish(): void {
    this.socket.destroy();
    (this.destination as Writable).end();
    this.push(null);
    this.resume();
  }

  /** Before the body was handed over, the failure is the opening's; after, the stream's, for Fastify to see. */
  private fail(error: Error): void {
    if (this.destroyed) return;
    if (this.destination) {
      this.destroy(error);
      return;
    }
    this.rejectOpened(error);
    this.destroy();
  }
}

/** Why the store's head is not the expected answer, or undefined when it is. */
function unexpectedAnswer(head: string, { status, length }: StoreGet): string | undefined {
  const answer = parseAnswerHead(head);
  const lengths = answer.values('content-length');
  if (
    answer.status === status &&
    lengths.length === 1 &&
    lengths[0] === String(length) &&
    answer.values('transfer-encoding').length === 0
  )
    return undefined;
  return `The store answered ${answer.status} with ${lengths.join(', ') || 'no'} bytes, expected ${status} with ${length}`;
}
