import { ArrayNotEmpty, ValidateIf } from 'class-validator';
import { Int64Field, NestedListField, StringField } from '@logbook/platform';

/** Multipart routes name the directory; `path` is the client's local file, whose basename names the artifact. */
class MultipartTargetDto {
  @StringField('required') path!: string;
}

export class CreateMultipartUploadDto extends MultipartTargetDto {
  @Int64Field('required') num_parts!: number;
}

export class CompletedPartDto {
  @Int64Field('required') part_number!: number;
  @StringField('required') etag!: string;
}

export class CompleteMultipartUploadDto extends MultipartTargetDto {
  @StringField('required') upload_id!: string;
  @NestedListField(() => CompletedPartDto, 'required') @ArrayNotEmpty() parts!: CompletedPartDto[];
}

export class AbortMultipartUploadDto extends MultipartTargetDto {
  @StringField('required') upload_id!: string;
}

/** The query of a part PUT to this service (the store could not presign it). */
export class UploadPartQueryDto {
  @StringField('required') upload_id!: string;
  @Int64Field('required') part_number!: number;
}

export class ListArtifactsQueryDto {
  @StringField() path?: string;
}

/** The tracking API's artifacts/list; MLflow takes the run id as `run_id` or the deprecated `run_uuid`. */
export class RunArtifactsQueryDto {
  @ValidateIf((o: RunArtifactsQueryDto) => !o.run_uuid)
  @StringField('required')
  run_id?: string;

  @StringField() run_uuid?: string;
  @StringField() path?: string;

  get runId(): string {
    return (this.run_id || this.run_uuid) as string;
  }
}
