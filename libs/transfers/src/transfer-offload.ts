/**
 * Artifact bytes the artifacts service hands to the gateway instead of moving them itself, as nginx's
 * X-Accel-Redirect does. The service keeps every decision (path, owner, limits, range, the answer's
 * headers, the recorded event); the gateway only moves the bytes between the client and the store, so
 * they cross one process instead of two. Only a gateway announces that it can (`accept`), and it never
 * passes these headers on to clients or takes them from one.
 *
 * Download: GET with `accept`. The service answers with the final status and headers, an empty body,
 * and `url` (a presigned GET), `etag`, `length` and, for a 206, `range`.
 * Upload (a body with Content-Length): PUT with `accept`, `length` and no body. The service checks the
 * path, owner and size and answers `url` (a presigned PUT) and `contentType`, or `declined` when its
 * store cannot presign; the gateway then stores the body with sha256 and length counted on the way,
 * and PUTs again, bodiless, with `length`, `sha256` and the store's `etag`, for the service to verify
 * and record. Only that second answer is the client's.
 */
export const TRANSFER_OFFLOAD = {
  /** Request header from the gateway, with `version` as its value. */
  accept: 'x-logbook-offload',
  version: '1',
  url: 'x-logbook-offload-url',
  /** The object version the transfer is about (If-Match on a download; verified on an upload). */
  etag: 'x-logbook-offload-etag',
  /** `bytes=start-end` when a download answers 206. */
  range: 'x-logbook-offload-range',
  /** Bytes of the download's answer, or of the upload's body. */
  length: 'x-logbook-offload-length',
  contentType: 'x-logbook-offload-content-type',
  sha256: 'x-logbook-offload-sha256',
  declined: 'x-logbook-offload-declined',
} as const;

export const isOffloadHeader = (name: string): boolean => name.startsWith(TRANSFER_OFFLOAD.accept);
