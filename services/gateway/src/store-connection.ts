/**
 * HTTP/1.1 on a connection of its own to a plain-HTTP store, for the presigned GET StoreBody makes: one
 * request per connection, closed after its answer, so nothing but a status line and a few headers needs
 * parsing.
 */

/** The end of an answer's status line and headers. */
export const HEAD_END = Buffer.from('\r\n\r\n');

/** A GET of `url`, closing the connection after the answer. */
export function getRequestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(value)) throw new Error(`Header ${name} for the store contains a line break`);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface AnswerHead {
  /** NaN when the status line is not HTTP/1.x's. */
  status: number;
  /** Every value of a header, by its lower-case name. */
  values(name: string): string[];
}

export function parseAnswerHead(head: string): AnswerHead {
  const [statusLine, ...fields] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  return {
    status,
    values: (name) =>
      fields
        .filter((field) => field.slice(0, field.indexOf(':')).trim().toLowerCase() === name)
        .map((field) => field.slice(field.indexOf(':') + 1).trim()),
  };
}

/** Where to connect for a URL: its host without IPv6 brackets, and its port. */
export const endpointOf = (url: URL) => ({
  host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
  port: Number(url.port || 80),
});
