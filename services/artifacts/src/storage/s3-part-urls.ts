import { SignatureV4 } from '@smithy/signature-v4';
import type { ChecksumConstructor, HashConstructor, HttpRequest } from '@smithy/types';

/** How long a client has to send a part straight to S3. */
export const PART_URL_EXPIRY_SECONDS = 3600;

export interface BucketAddress {
  endpoint?: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Presigned UploadPart URLs (SigV4 query authentication, unsigned payload), so multipart clients send
 * their bytes straight to the store. Signed with the SDK's own SignatureV4, the same thing
 * @aws-sdk/s3-request-presigner does, without that package.
 */
export class PartUrlSigner {
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

  async sign(objectKey: string, uploadId: string, partNumber: number): Promise<string> {
    const { protocol, hostname, port, host } = this.origin;
    const request: HttpRequest = {
      method: 'PUT',
      protocol,
      hostname,
      port: port ? Number(port) : undefined,
      path: `${this.bucketPath}/${objectKey.split('/').map(encodeSegment).join('/')}`,
      query: { partNumber: String(partNumber), uploadId },
      headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    };
    const signed = await this.signer.presign(request, { expiresIn: PART_URL_EXPIRY_SECONDS });
    const query = Object.entries(signed.query ?? {})
      .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((one) => [name, one ?? ''] as const))
      .map(([name, value]) => `${encodeSegment(name)}=${encodeSegment(value)}`)
      .join('&');
    return `${protocol}//${host}${signed.path}?${query}`;
  }
}

/** RFC 3986 encoding, as SigV4 canonicalizes: encodeURIComponent leaves !'()* alone. */
function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
