import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { resolveArtifactPath } from '@logbook/artifact-paths';
import { CommandMetadata, invalidParameter, MlflowError } from '@logbook/platform';
import { checkWritable } from '../artifact.decider';
import { ArtifactRecords } from '../artifact-records';
import { ArtifactsConfig } from '../config';
import { servedContentType } from '../content-type';
import { Owners } from '../owners/owners';
import { ARTIFACT_STORAGE, ARTIFACTS_CONFIG } from '../shared/tokens';
import { ArtifactStorage, CompletedPart } from '../storage/artifact-storage';
import { uploadLimitExceeded } from '../uploads/uploads.service';

/** S3's cap on the parts of one multipart upload. */
export const MAX_MULTIPART_PARTS = 10_000;

/** Where a client PUTs a part the store cannot presign: this service's own upload-part route. */
export type PartUrl = (partNumber: number, uploadId: string) => string;

/** MLflow's multipart uploads: parts go to presigned store URLs when the store signs them, here otherwise. */
@Injectable()
export class MultipartService {
  constructor(
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
    @Inject(ARTIFACTS_CONFIG) private readonly config: ArtifactsConfig,
    private readonly owners: Owners,
    private readonly records: ArtifactRecords,
  ) {}

  /**
   * MLflow's capability document. Clients read `multipart_uploads_enabled` to decide, without
   * MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD, whether large files go up in presigned parts; like MLflow,
   * only a store that presigns them says so. Presigned multipart downloads are not offered.
   */
  serverInfo() {
    return {
      store_type: 'SqlStore',
      workspaces_enabled: false,
      trace_archival_enabled: false,
      multipart_uploads_enabled: this.storage.presignsMultipart,
      multipart_downloads_enabled: false,
      presigned_upload_run_id_supported: false,
      presigned_upload_model_id_supported: false,
      features_enabled: { gateway: false },
    };
  }

  async create(rawPath: string, parts: number, partUrl: PartUrl) {
    const path = resolveArtifactPath(rawPath);
    checkWritable(await this.owners.ownerOf(path), path);
    if (!Number.isInteger(parts) || parts < 1 || parts > MAX_MULTIPART_PARTS) {
      throw invalidParameter(`num_parts must be between 1 and ${MAX_MULTIPART_PARTS}, got ${parts}`);
    }
    const upload = await this.storage.createMultipart(path, parts, servedContentType(path));
    const urls = upload.partUrls ?? Array.from({ length: parts }, (_, i) => partUrl(i + 1, upload.uploadId));
    return {
      upload_id: upload.uploadId,
      credentials: urls.map((url, i) => ({ url, part_number: i + 1, headers: {} })),
    };
  }

  async uploadPart(rawPath: string, uploadId: string, partNumber: number, body: Readable) {
    const path = resolveArtifactPath(rawPath);
    const maxBytes = this.config.maxUploadBytes;
    return this.storage.uploadPart(path, uploadId, partNumber, body, maxBytes).catch((error) => {
      throw uploadLimitExceeded(error, maxBytes);
    });
  }

  /** Completes the upload, then reads the object back once to record its digest: the parts went straight to the store. */
  async complete(rawPath: string, uploadId: string, parts: CompletedPart[], metadata: CommandMetadata): Promise<void> {
    const path = resolveArtifactPath(rawPath);
    const owner = checkWritable(await this.owners.ownerOf(path), path);
    await this.storage.completeMultipart(path, uploadId, parts);
    const measured = await this.records.measure(path);
    if (!measured) throw new MlflowError('INTERNAL_ERROR', `Completed upload of '${path}' is not readable`);
    await this.records.recordStored(owner, path, { ...measured, contentType: null }, metadata);
  }

  async abort(rawPath: string, uploadId: string): Promise<void> {
    await this.storage.abortMultipart(resolveArtifactPath(rawPath), uploadId);
  }
}
