import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { invalidParameter } from '@logbook/platform';
import { endpointOf, HEAD_END, parseAnswerHead, requestHead } from './store-connection';

export interface StorePut {
  /** A presigned `http:` URL. */
  url: URL;
  contentType: string;
  size: number;
  /** Without progress on the store's connection for this long, the upload fails. */
  timeoutMs: number;
}

/**
 * PUTs exactly `size` bytes of `body` to a plain-HTTP store and resolves with their sha256 and the
 * store's ETag. Each chunk of the client's body is counted, hashed and written to the store's socket
 * as it comes, without a Transform and Node's HTTP client in between (docs/benchmarks.md, "Issue 15:
 * the artifact byte path"). A body that fails or ends short destroys the connection before its
 * declared length: the store never completes a partial object.
 */
export function storeOverHttp(body: Readable, { url, contentType, size, timeoutMs }: StorePut) {
  return new Promise<{ sha256: string; etag: string }>((resolve, reject) => {
    const hash = createHash('sha256');
    let sent = 0;
    let bodyEnded = false;
    let head = Buffer.alloc(0);
    let etag: string | undefined;
    let settled = false;
    const socket = connect(endpointOf(url));
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      body.destroy();
      reject(error);
    };
    const succeedOnceBoth = () => {
      if (settled || !bodyEnded || etag === undefined) return;
      settled = true;
      socket.destroy();
      resolve({ sha256: hash.digest('hex'), etag });
    };
    const lengthMismatch = () => invalidParameter(`The body is not the ${size} bytes its Content-Length declared`);

    socket.setTimeout(timeoutMs, () => fail(new Error(`No answer from the store within ${timeoutMs} ms`)));
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('The store closed the connection before answering the upload')));
    socket.on('data', (chunk: Buffer) => {
      if (etag !== undefined) return;
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) return;
      const answer = parseAnswerHead(head.subarray(0, end).toString('latin1'));
      const tag = answer.values('etag')[0];
      if (answer.status !== 200 || !tag || !bodyEnded) {
        fail(new Error(`The store answered ${answer.status} to an offloaded upload`));
        return;
      }
      etag = tag;
      succeedOnceBoth();
    });
    try {
      socket.write(
        requestHead('PUT', url, {
          'Content-Length': String(size),
          ...(contentType ? { 'Content-Type': contentType } : {}),
        }),
      );
    } catch (error) {
      fail(error as Error);
      return;
    }

    body.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > size) {
        fail(lengthMismatch());
        return;
      }
      hash.update(chunk);
      if (!socket.write(chunk)) {
        body.pause();
        socket.once('drain', () => body.resume());
      }
    });
    body.on('end', () => {
      if (sent !== size) {
        fail(lengthMismatch());
        return;
      }
      bodyEnded = true;
      succeedOnceBoth();
    });
    body.on('error', fail);
  });
}
