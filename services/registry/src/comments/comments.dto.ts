import { Documented, StringField } from '@logbook/platform';
import { ModelVersionDto } from '../model-versions/model-versions.dto';
import { LIMITS } from '../shared/limits';

const COMMENT = { maxLength: LIMITS.comment, description: 'The comment; a blank one is refused' };
const COMMENT_ID = { description: 'The id the comment was created with' };

export class CreateCommentDto extends ModelVersionDto {
  @StringField('required') @Documented(COMMENT) comment!: string;
}

export class CommentIdDto {
  @StringField('required') @Documented(COMMENT_ID) id!: string;
}

export class UpdateCommentDto extends CommentIdDto {
  @StringField('required') @Documented(COMMENT) comment!: string;
}
