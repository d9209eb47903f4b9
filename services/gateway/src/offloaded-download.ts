import { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DOWNLOAD_OFFLOAD } from '../../../libs/platform/src/http/download-offload';

const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

/**
 * Opens the store's answer to a download the artifacts service handed over (DOWNLOAD_OFFLOAD). It
 * resolves only with exactly the answer the service described: the same object version (If-Match),
 * the status for the range, and the length; anything else, such as the object replaced in between,
 * rejects, and the caller answers a retryable error instead of bytes that do not match the headers.
 */
export function openOffloadedDownload(described: IncomingHttpHeaders, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = new URL(String(described[DOWNLOAD_OFFLOAD.url]));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(new Error(`Offloaded download to an unsupported URL scheme ${url.protocol}`));
      return;
    }
    const range = described[DOWNLOAD_OFFLOAD.range];
    const length = described[DOWNLOAD_OFFLOAD.length];
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: 'GET',
        agent: agents[url.protocol],
        timeout: timeoutMs,
        headers: { 'if-match': String(described[DOWNLOAD_OFFLOAD.etag]), ...(range ? { range: String(range) } : {}) },
      },
      (response) => {
        const status = range ? 206 : 200;
        if (response.statusCode === status && response.headers['content-length'] === length) {
          resolve(response);
          return;
        }
        response.resume();
        reject(
          new Error(
            `The store answered ${response.statusCode} with ${response.headers['content-length']} bytes, ` +
              `expected ${status} with ${length}`,
          ),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`No answer from the store within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end();
  });
}
