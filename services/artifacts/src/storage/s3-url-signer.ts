import { SignatureV4 } from '@smithy/signature-v4';
import type { ChecksumConstructor, HashConstructor, HttpRequest } from '@smithy/types';

/** How long a client has to send a part straight to S3. */
export const PART_URL_EXPIRY_SECONDS = 3600;
/** Read and write URLs are for the gateway, which starts the transfer at once. */
export const HANDOVER_URL_EXPIRY_SECONDS = 60;

export interface BucketAddress {
  endpoint?: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Presigned URLs (SigV4 query authentication, unsigned payload): UploadPart, so multipart clients send
 * their bytes straight to the store, and GetObject and PutObject, so the gateway moves a transfer without
 * this service in between (TRANSFER_OFFLOAD). Signed with the SDK's own SignatureV4, the same thing
 * @aws-sdk/s3-request-presigner does, without that package.
 */
export class S3UrlSigner {
  private readonly signer: SignatureV4;
  private readonly origin: URL;
  private readonly bucketPath: string;

  constructor(address: BucketAddress, sha256: ChecksumConstructor | HashConstructor) {
    this.signer = new SignatureV4({
      service: 's3',
      region: address.region,
      credentials: { accessKeyId: address.accessKeyId, secretAccessKey: address.secretAccessKey },
      sha256,
      // S3 signs the path exactly as sent; the key is encoded once, below.
      uriEscapePath: false,
    });
    const endpoint = new URL(address.endpoint ?? `https://s3.${address.region}.amazonaws.com`);
    const basePath = endpoint.pathname.replace(/\/+$/, '');
    if (address.forcePathStyle) {
      this.origin = endpoint;
      this.bucketPath = `${basePath}/${encodeSegment(address.bucket)}`;
    } else {
      this.origin = new URL(endpoint.href);
      this.origin.hostname = `${address.bucket}.${endpoint.hostname}`;
      this.bucketPath = basePath;
    }
  }

  partUrl(objectKey: string, uploadId: string, partNumber: number): Promise<string> {
    return this.presign('PUT', objectKey, { partNumber: String(partNumber), uploadId }, PART_URL_EXPIRY_SECONDS);
  }

  readUrl(objectKey: string): Promise<string> {
    return this.presign('GET', objectKey, {}, HANDOVER_URL_EXPIRY_SECONDS);
  }

  writeUrl(objectKey: string): Promise<string> {
    return this.presign('PUT', objectKey, {}, HANDOVER_URL_EXPIRY_SECONDS);
  }

  private async presign(
    method: 'GET' | 'PUT',
    objectKey: string,
    query: Record<string, string>,
    expiresIn: number,
  ): Promise<string> {
    const { protocol, hostname, port, host } = this.origin;
    const request: HttpRequest = {
      method,
      protocol,
      hostname,
      port: port ? Number(port) : undefined,
      path: `${this.bucketPath}/${objectKey.split('/').map(encodeSegment).join('/')}`,
      query,
      headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    };
    const signed = await this.signer.presign(request, { expiresIn });
    const signedQuery = Object.entries(signed.query ?? {})
      .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((one) => [name, one ?? ''] as const))
      .map(([name, value]) => `${encodeSegment(name)}=${encodeSegment(value)}`)
      .join('&');
    return `${protocol}//${host}${signed.path}?${signedQuery}`;
  }
}

/** RFC 3986 encoding, as SigV4 canonicalizes: encodeURIComponent leaves !'()* alone. */
function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
