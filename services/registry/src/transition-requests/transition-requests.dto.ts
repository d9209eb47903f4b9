import { BooleanField, Documented, invalidParameter, StringField } from '@logbook/platform';
import { versionNumber } from '../model-versions/model-version.decider';
import { ModelVersionDto } from '../model-versions/model-versions.dto';
import { ALIAS } from '../registered-models/registered-models.dto';
import { canonicalStage, LIMITS, STAGES, validateAliasName, validateAliasNotReserved } from '../shared/limits';
import { RequestedTarget } from './transition-requests.service';

const COMMENT = { maxLength: LIMITS.comment };

/**
 * A version and what it is to become: a stage (Databricks' field), or, Logbook's extension, a protected
 * alias to point at it. Exactly one of the two, which no schema of a query string can say: each says it.
 */
export class RequestTargetDto extends ModelVersionDto {
  @StringField()
  @Documented({
    enum: STAGES.filter((stage) => stage !== 'None'),
    description: 'The stage to move the version to; give exactly one of stage and alias',
  })
  stage?: string;
  @StringField()
  @Documented({
    ...ALIAS,
    description: 'Logbook: the protected alias to point at the version; give exactly one of stage and alias',
  })
  alias?: string;
}

export class CreateTransitionRequestDto extends RequestTargetDto {
  @StringField() @Documented(COMMENT) comment?: string;
  @StringField()
  @Documented({
    ...COMMENT,
    description: "Logbook: apply at once as one of the policy's break-glass principals, for this reason",
  })
  break_glass_reason?: string;
}

export class ApproveTransitionRequestDto extends RequestTargetDto {
  @BooleanField('required') archive_existing_versions!: boolean;
  @StringField() @Documented(COMMENT) comment?: string;
}

export class RejectTransitionRequestDto extends RequestTargetDto {
  @StringField() @Documented(COMMENT) comment?: string;
}

export class DeleteTransitionRequestDto extends RequestTargetDto {
  @StringField('required') @Documented({ description: 'User name of who made the request' }) creator!: string;
  @StringField() @Documented({ maxLength: LIMITS.queryComment }) comment?: string;
}

/** The version and target a request body names, checked as MLflow checks a stage and an alias. */
export function requestedTarget(dto: RequestTargetDto): RequestedTarget {
  const version = versionNumber(dto.name, dto.version);
  if ((dto.stage === undefined) === (dto.alias === undefined)) {
    throw invalidParameter('A transition request names exactly one of stage and alias.');
  }
  if (dto.alias !== undefined) {
    validateAliasName(dto.alias);
    validateAliasNotReserved(dto.alias);
    return { name: dto.name, version, target: { kind: 'alias', alias: dto.alias } };
  }
  const stage = canonicalStage(dto.stage as string);
  if (stage === 'None') {
    throw invalidParameter(
      "Transition requests move versions into Staging, Production or Archived; move one to 'None' with transition-stage.",
    );
  }
  return { name: dto.name, version, target: { kind: 'stage', stage } };
}
