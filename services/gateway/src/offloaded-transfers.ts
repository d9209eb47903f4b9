import { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectMeter, TRANSFER_OFFLOAD } from '@logbook/transfers';
import { StoreBody } from './store-body';

const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

/**
 * Opens the store's answer to a download the artifacts service handed over (TRANSFER_OFFLOAD). It
 * resolves only with exactly the answer the service described: the same object version (If-Match),
 * the status for the range, and the length; anything else, such as the object replaced in between,
 * rejects, and the caller answers a retryable error instead of bytes that do not match the headers.
 * A plain-HTTP store is read through reused buffers (StoreBody); an HTTPS one through Node's client.
 */
export async function openOffloadedDownload(described: IncomingHttpHeaders, timeoutMs: number): Promise<Readable> {
  const url = new URL(String(described[TRANSFER_OFFLOAD.url]));
  const range = described[TRANSFER_OFFLOAD.range];
  const expected = { status: range ? 206 : 200, length: Number(described[TRANSFER_OFFLOAD.length]) };
  const headers = { 'if-match': String(described[TRANSFER_OFFLOAD.etag]), ...(range ? { range: String(range) } : {}) };
  if (url.protocol === 'http:') {
    const body = new StoreBody({ url, headers, ...expected, timeoutMs });
    await body.opened;
    return body;
  }
  if (url.protocol === 'https:') return openOverHttps(url, headers, expected, timeoutMs);
  throw new Error(`Offloaded download to an unsupported URL scheme ${url.protocol}`);
}

function openOverHttps(
  url: URL,
  headers: Record<string, string>,
  expected: { status: number; length: number },
  timeoutMs: number,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      { method: 'GET', agent: agents['https:'], timeout: timeoutMs, headers },
      (response) => {
        if (response.statusCode === expected.status && response.headers['content-length'] === String(expected.length)) {
          resolve(response);
          return;
        }
        response.resume();
        reject(
          new Error(
            `The store answered ${response.statusCode} with ${response.headers['content-length']} bytes, ` +
              `expected ${expected.status} with ${expected.length}`,
          ),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`No answer from the store within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end();
  });
}

/** What the gateway forwards of a client's request to the artifacts service, besides the offload headers. */
export interface ServiceCall {
  url: string;
  /**
   * Made anew for each of the two calls: the principal they carry is signed for one forwarded request
   * (60 s), and the commit comes after the body went to the store, which may take longer.
   */
  headers: () => Record<string, string>;
}

export type UploadOutcome =
  /** The service's store cannot presign: the body must be proxied to the service as usual. */
  | { kind: 'declined' }
  /** The service's answer for the client: a refusal before anything was stored, or the recorded upload. */
  | { kind: 'answer'; status: number; contentType: string; body: string }
  /** The client went away or the store failed: nothing was stored under the artifact's name. */
  | { kind: 'failed'; error: unknown };

/**
 * Carries an upload of `size` bytes (TRANSFER_OFFLOAD): asks the artifacts service where to store it,
 * streams the client's body there while counting and hashing it, and has the service verify and record
 * what was stored. The client's answer is the service's answer to that last call.
 */
export async function carryOffloadedUpload(
  call: ServiceCall,
  body: Readable,
  size: number,
  timeoutMs: number,
): Promise<UploadOutcome> {
  const ask = (extra: Record<string, string>) =>
    fetch(call.url, {
      method: 'PUT',
      headers: {
        ...call.headers(),
        [TRANSFER_OFFLOAD.accept]: TRANSFER_OFFLOAD.version,
        [TRANSFER_OFFLOAD.length]: String(size),
        ...extra,
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
  const prepared = await ask({});
  const target = prepared.headers.get(TRANSFER_OFFLOAD.url);
  if (prepared.headers.get(TRANSFER_OFFLOAD.declined) === 'true') {
    await prepared.arrayBuffer();
    return { kind: 'declined' };
  }
  if (!target) return answerOf(prepared);
  let stored: { sha256: string; etag: string };
  try {
    stored = await storeBody(target, prepared.headers.get(TRANSFER_OFFLOAD.contentType) ?? '', body, size, timeoutMs);
  } catch (error) {
    return { kind: 'failed', error };
  }
  return answerOf(await ask({ [TRANSFER_OFFLOAD.sha256]: stored.sha256, [TRANSFER_OFFLOAD.etag]: stored.etag }));
}

async function answerOf(response: Response): Promise<UploadOutcome> {
  return {
    kind: 'answer',
    status: response.status,
    contentType: response.headers.get('content-type') ?? 'application/json',
    body: await response.text(),
  };
}

/** PUTs exactly `size` bytes of `body` to a presigned URL; resolves with their sha256 and the store's ETag. */
function storeBody(
  url: string,
  contentType: string,
  body: Readable,
  size: number,
  timeoutMs: number,
): Promise<{ sha256: string; etag: string }> {
  const target = new URL(url);
  const meter = new ObjectMeter({ maxBytes: size, declaredBytes: size });
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(target, {
      method: 'PUT',
      agent: agents[target.protocol as keyof typeof agents],
      timeout: timeoutMs,
      headers: { 'content-length': String(size), ...(contentType ? { 'content-type': contentType } : {}) },
    });
    const answered = new Promise<IncomingMessage>((resolveAnswer, rejectAnswer) => {
      request.on('response', resolveAnswer);
      request.on('error', rejectAnswer);
      request.on('timeout', () => request.destroy(new Error(`No answer from the store within ${timeoutMs} ms`)));
    });
    // A body that fails or ends short destroys the request: the store never completes a partial object.
    Promise.all([pipeline(body, meter, request), answered]).then(
      ([, response]) => {
        response.resume();
        const etag = response.headers.etag;
        if (response.statusCode === 200 && etag) resolve({ sha256: meter.digest(), etag });
        else reject(new Error(`The store answered ${response.statusCode} to an offloaded upload`));
      },
      (error: unknown) => {
        request.destroy();
        reject(error);
      },
    );
  });
}
