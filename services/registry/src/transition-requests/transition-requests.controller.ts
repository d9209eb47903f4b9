import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { Authorize, RequestPrincipal } from '@logbook/access';
import { Answers, CommandMetadata, Principal, RequestMeta } from '@logbook/platform';
import { ModelVersionDto } from '../model-versions/model-versions.dto';
import { versionNumber } from '../model-versions/model-version.decider';
import { VersionRules } from '../shared/access';
import { mlflowRoutes } from '../shared/routes';
import { LIMITS, optionalText } from '../shared/limits';
import { TRANSITION_REQUEST_ANSWERS } from './transition-requests.wire-schemas';
import {
  ApproveTransitionRequestDto,
  CreateTransitionRequestDto,
  DeleteTransitionRequestDto,
  RejectTransitionRequestDto,
  requestedTarget,
} from './transition-requests.dto';
import { TransitionRequestsQueries } from './transition-requests.queries';
import { TransitionRequestsService } from './transition-requests.service';
import { decisionView, requestView } from './transition-request.views';

/**
 * Databricks' transition requests, on MLflow's prefixes. Requesting takes what a direct transition takes;
 * deciding is for those the target's policy takes approvals from (where none governs it: for those who may
 * transition the version), which the service checks.
 */
@Controller(mlflowRoutes('transition-requests'))
export class TransitionRequestsController {
  constructor(
    private readonly requests: TransitionRequestsService,
    private readonly queries: TransitionRequestsQueries,
  ) {}

  @Post('create')
  @HttpCode(200)
  @Answers(TRANSITION_REQUEST_ANSWERS.request)
  @Authorize(...VersionRules.update())
  async create(@Body() dto: CreateTransitionRequestDto, @RequestMeta() meta: CommandMetadata) {
    const requestId = await this.requests.create(
      {
        ...requestedTarget(dto),
        comment: optionalText('comment', dto.comment),
        breakGlassReason: optionalText('break_glass_reason', dto.break_glass_reason),
      },
      meta,
    );
    const created = await this.queries.byId(requestId);
    return { request: requestView(created!, created!.status === 'PENDING' ? ['CANCEL_TRANSITION_REQUEST'] : []) };
  }

  @Post('approve')
  @HttpCode(200)
  @Answers(TRANSITION_REQUEST_ANSWERS.decision)
  @Authorize(...VersionRules.read())
  async approve(
    @Body() dto: ApproveTransitionRequestDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    const { request, decision } = await this.requests.approve(
      {
        ...requestedTarget(dto),
        comment: optionalText('comment', dto.comment),
        archiveExistingVersions: dto.archive_existing_versions,
      },
      principal,
      meta,
    );
    return decisionView(request, decision, 'APPROVED_REQUEST');
  }

  @Post('reject')
  @HttpCode(200)
  @Answers(TRANSITION_REQUEST_ANSWERS.decision)
  @Authorize(...VersionRules.read())
  async reject(
    @Body() dto: RejectTransitionRequestDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    const { request, decision } = await this.requests.reject(
      { ...requestedTarget(dto), comment: optionalText('comment', dto.comment) },
      principal,
      meta,
    );
    return decisionView(request, decision, 'REJECTED_REQUEST');
  }

  @Delete('delete')
  @Answers(TRANSITION_REQUEST_ANSWERS.empty)
  @Authorize(...VersionRules.read())
  async cancel(@Query() dto: DeleteTransitionRequestDto, @RequestMeta() meta: CommandMetadata) {
    await this.requests.cancel(
      {
        ...requestedTarget(dto),
        creator: dto.creator,
        comment: optionalText('comment', dto.comment, LIMITS.queryComment),
      },
      meta,
    );
    return {};
  }

  @Get('list')
  @Answers(TRANSITION_REQUEST_ANSWERS.requests)
  @Authorize(...VersionRules.read())
  async list(
    @Query() dto: ModelVersionDto,
    @RequestMeta() meta: CommandMetadata,
    @RequestPrincipal() principal: Principal | null,
  ) {
    const open = await this.requests.openOfVersion(dto.name, versionNumber(dto.name, dto.version), principal, meta);
    return { requests: open.map(({ request, actions }) => requestView(request, actions)) };
  }
}
