import { Body, Controller, Delete, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { Authorize, RequestPrincipal } from '@logbook/access';
import { Answers, CommandMetadata, Principal, RequestMeta } from '@logbook/platform';
import { callerOf } from '../activities/version-activities';
import { CommentRules } from '../shared/access';
import { mlflowRoutes } from '../shared/routes';
import { ANSWERS } from '../shared/wire-schemas';
import { CommentIdDto, CreateCommentDto, UpdateCommentDto } from './comments.dto';
import { CommentsQueries } from './comments.queries';
import { CommentsService } from './comments.service';

/** Databricks' comments on a model version (its workspace model registry's `comments/*`). */
@Controller(mlflowRoutes('comments'))
export class CommentsController {
  constructor(
    private readonly comments: CommentsService,
    private readonly queries: CommentsQueries,
  ) {}

  @Post('create')
  @HttpCode(200)
  @Answers(ANSWERS.comment)
  @Authorize(...CommentRules.create())
  async create(
    @Body() dto: CreateCommentDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    const id = await this.comments.create(dto.name, dto.version, dto.comment, meta);
    return { comment: await this.queries.get(id, callerOf(principal)) };
  }

  @Patch('update')
  @Answers(ANSWERS.comment)
  @Authorize(...CommentRules.change())
  async update(
    @Body() dto: UpdateCommentDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    await this.comments.edit(dto.id, dto.comment, meta);
    return { comment: await this.queries.get(dto.id, callerOf(principal)) };
  }

  /** Databricks' clients send the id in the query string. */
  @Delete('delete')
  @Answers(ANSWERS.empty)
  @Authorize(...CommentRules.change())
  async delete(
    @Query() dto: CommentIdDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    await this.comments.delete(dto.id, callerOf(principal).isAdmin, meta);
    return {};
  }
}
