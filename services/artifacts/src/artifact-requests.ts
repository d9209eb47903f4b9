import { posix } from 'node:path';
import { FastifyRequest } from 'fastify';
import { resolveListPrefix } from '@logbook/artifact-paths';
import { bodyStream, invalidParameter, parseJsonBody, parseRequest } from '@logbook/platform';
import { SuffixRange } from './downloads/downloads.service';
import { ObjectRange } from './storage/artifact-storage';

/** JSON bodies of the multipart routes; an artifact's own bytes are never read as JSON. */
const JSON_LIMIT = 1024 * 1024;

/** The artifact path exactly as sent (still percent-encoded), so that encoded traversal is judged, not decoded away. */
export function rawPathAfter(request: FastifyRequest, marker: string): string {
  const pathOnly = (request.raw.url ?? '').split('?')[0];
  const at = pathOnly.indexOf(marker);
  return at < 0 ? '' : pathOnly.slice(at + marker.length);
}

/** The directory a multipart route names, judged before its body is read, as MLflow does. */
export function checkedDirectory(request: FastifyRequest, marker: string): string {
  const directory = rawPathAfter(request, marker);
  resolveListPrefix(directory);
  return directory;
}

/** The request's JSON body as the DTO `type`, read from the stream the artifact routes keep bodies as. */
export async function jsonBody<T extends object>(request: FastifyRequest, type: new () => T): Promise<T> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of bodyStream(request)) {
    size += (chunk as Buffer).length;
    if (size > JSON_LIMIT) throw invalidParameter('Request body exceeds the size limit');
    chunks.push(chunk as Buffer);
  }
  return parseRequest(type, parseJsonBody(Buffer.concat(chunks)));
}

export const query = <T extends object>(request: FastifyRequest, type: new () => T): T =>
  parseRequest(type, request.query ?? {});

/** The artifact a multipart upload writes: the basename of the client's local `path`, in `directory`. */
export function uploadTarget(directory: string, localPath: string): string {
  const name = encodeURIComponent(posix.basename(localPath.replace(/\\/g, '/')));
  return directory ? `${directory.replace(/\/+$/, '')}/${name}` : name;
}

/** `bytes=a-b`, `bytes=a-` and `bytes=-n` (the last n bytes); anything else serves the whole object. */
export function parseRange(header: string | undefined): ObjectRange | SuffixRange | undefined {
  const match = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return { suffix: Number(match[2]) };
  return { start: Number(match[1]), ...(match[2] !== '' ? { end: Number(match[2]) } : {}) };
}

/** `filename=` as MLflow (Werkzeug) writes it: bare when safe, quoted otherwise, RFC 5987 for non-ASCII. */
export function contentDisposition(name: string): string {
  if (/^[\w.-]+$/.test(name)) return `attachment; filename=${name}`;
  if (/^[\x20-\x7e]*$/.test(name)) return `attachment; filename="${name.replace(/[\\"]/g, '\\$&')}"`;
  const ascii =
    name
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]/g, '')
      .trim() || 'download';
  const quoted = /^[\w.-]+$/.test(ascii) ? ascii : `"${ascii.replace(/[\\"]/g, '\\$&')}"`;
  return `attachment; filename=${quoted}; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The URL the client reached this server at, as the gateway forwarded it. */
export function baseUrl(request: FastifyRequest): string {
  const host = (request.headers['x-forwarded-host'] as string | undefined) ?? request.headers.host ?? '127.0.0.1';
  const proto = (request.headers['x-forwarded-proto'] as string | undefined) ?? 'http';
  return `${proto}://${host}`;
}
