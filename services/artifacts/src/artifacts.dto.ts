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

/** MLflow's legacy get-artifact: one file of a run, by run-relative path. */
export class RunArtifactQueryDto extends RunArtifactsQueryDto {}

/** The UI's upload of one small file into a run (its handler's own checks and messages). */
export class UploadArtifactQueryDto {
  @StringField() run_uuid?: string;
  @StringField() path?: string;
}

/** One file of a logged model, by model-relative path. */
export class LoggedModelFileQueryDto {
  @StringField() artifact_file_path?: string;
}

/** A logged model's directory listing. */
export class LoggedModelDirectoryQueryDto {
  @StringField() artifact_directory_path?: string;
}
