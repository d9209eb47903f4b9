/**
 * A download the artifacts service hands to the gateway instead of streaming it, as nginx's
 * X-Accel-Redirect does: the service checks the path, finds the object and sets every header of the
 * answer; the gateway then reads the bytes from the store itself, so they cross one process, not two.
 * Only a gateway announces that it can (`accept`), and it never passes these headers on to clients.
 */
export const DOWNLOAD_OFFLOAD = {
  /** Request header from the gateway, with `version` as its value. */
  accept: 'x-logbook-offload',
  version: '1',
  /** Response headers from the artifacts service; its own body is then empty. */
  url: 'x-logbook-offload-url',
  /** The object's ETag when it was found: the read must see the same version (If-Match). */
  etag: 'x-logbook-offload-etag',
  /** `bytes=start-end` when the answer is a 206. */
  range: 'x-logbook-offload-range',
  /** Content-Length of the answer the gateway sends. */
  length: 'x-logbook-offload-length',
} as const;

export const isOffloadHeader = (name: string): boolean => name.startsWith(DOWNLOAD_OFFLOAD.accept);
