import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { Answers, CommandMetadata, RequestMeta } from '@logbook/platform';
import { GetPolicyDto, PolicyNameDto, SearchPoliciesDto } from './policies.dto';
import { PoliciesQueries } from './policies.queries';
import { PoliciesService } from './policies.service';
import { POLICY_ANSWERS } from './policies.wire-schemas';

/**
 * Beyond MLflow: the approval policies that govern stages and aliases. Admins change them; anyone signed
 * in may read them, to learn what a request of theirs waits for.
 */
@Controller(['api/2.0/logbook/policies', 'ajax-api/2.0/logbook/policies'])
export class PoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly queries: PoliciesQueries,
  ) {}

  /** The body is the policy document, checked whole by the policy schema. */
  @Post('create')
  @HttpCode(200)
  @Answers(POLICY_ANSWERS.policy)
  @Authorize(Rules.admin())
  async create(@Body() document: unknown, @RequestMeta() meta: CommandMetadata) {
    return { policy: await this.queries.get(await this.policies.create(document, meta)) };
  }

  /** `name` says which policy; the other fields given replace its own, and the result is checked whole. */
  @Patch('update')
  @Answers(POLICY_ANSWERS.policy)
  @Authorize(Rules.admin())
  async update(@Body() document: unknown, @RequestMeta() meta: CommandMetadata) {
    return { policy: await this.queries.get(await this.policies.update(document, meta)) };
  }

  @Get('get')
  @Answers(POLICY_ANSWERS.policy)
  @Authorize(Rules.signedIn())
  async get(@Query() dto: GetPolicyDto) {
    return { policy: await this.queries.get(dto.name, dto.version) };
  }

  @Get('search')
  @Answers(POLICY_ANSWERS.policies)
  @Authorize(Rules.signedIn())
  search(@Query() dto: SearchPoliciesDto) {
    return this.queries.search(dto);
  }

  @Delete('delete')
  @Answers(POLICY_ANSWERS.empty)
  @Authorize(Rules.admin())
  async delete(@Body() dto: PolicyNameDto, @RequestMeta() meta: CommandMetadata) {
    await this.policies.delete(dto.name, meta);
    return {};
  }
}
