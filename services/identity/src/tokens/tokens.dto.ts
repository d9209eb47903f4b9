import { Documented, Int64Field, StringField } from '@logbook/platform';
import { MAX_TOKEN_LIFETIME_DAYS, MAX_TOKEN_NAME_LENGTH } from './token.decider';
import { TOKEN_SCOPES } from './token-secret';

export class IssueTokenDto {
  @StringField('required') @Documented({ minLength: 1, maxLength: MAX_TOKEN_NAME_LENGTH }) name!: string;
  @StringField('required') @Documented({ enum: [...TOKEN_SCOPES] }) scope!: string;
  /** Absent: the token never expires. */
  @Int64Field() @Documented({ minimum: 1, maximum: MAX_TOKEN_LIFETIME_DAYS }) expires_in_days?: number;
}

export class TokenIdDto {
  @Int64Field('required') @Documented({ minimum: 1 }) token_id!: number;
}
