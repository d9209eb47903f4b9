import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { Answers, CommandMetadata, RequestMeta } from '@logbook/platform';
import { permissionDenied } from '../shared/access';
import { Caller } from '../shared/caller';
import { ANSWERS } from '../shared/wire-schemas';
import { tokenNotFound } from './token.decider';
import { IssueTokenDto, TokenIdDto } from './tokens.dto';
import { TokensQueries } from './tokens.queries';
import { TokensService } from './tokens.service';

/** Only a signed-in user holds tokens: not a token (it cannot mint itself successors), not anonymous callers. */
function userOf(caller: Caller): { userId: number; username: string; isAdmin: boolean } {
  const actor = caller.principal?.actor;
  if (!actor || actor.kind !== 'user') throw permissionDenied();
  return { userId: Number(actor.id), username: actor.name, isAdmin: caller.isAdmin };
}

/** Logbook's API tokens for pipelines and CI (beyond MLflow, which has none). */
// Each route says who may call it (Allows), checked by the identity API's own guard.
@Authorize(Rules.ownChecks())
@Controller(['api/2.0/logbook/tokens', 'ajax-api/2.0/logbook/tokens'])
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly queries: TokensQueries,
  ) {}

  /** The secret is in this answer only: Logbook keeps its hash. */
  @Post('create')
  @HttpCode(200)
  @Answers(ANSWERS.issuedToken)
  async create(@Body() dto: IssueTokenDto, @Caller() caller: Caller, @RequestMeta() meta: CommandMetadata) {
    const { userId, username } = userOf(caller);
    const { token, secret } = await this.tokens.issue(
      { name: dto.name, scope: dto.scope, expiresInDays: dto.expires_in_days ?? null },
      { userId, username },
      meta,
    );
    return { token, secret };
  }

  /** The caller's tokens; an admin's list holds everyone's. */
  @Get('list')
  @Answers(ANSWERS.tokens)
  async list(@Caller() caller: Caller) {
    const user = userOf(caller);
    return { tokens: await this.queries.list(user.isAdmin ? null : user.userId) };
  }

  @Post('revoke')
  @HttpCode(200)
  @Answers(ANSWERS.empty)
  async revoke(@Body() dto: TokenIdDto, @Caller() caller: Caller, @RequestMeta() meta: CommandMetadata) {
    const user = userOf(caller);
    if (dto.token_id > 2_147_483_647) throw tokenNotFound(dto.token_id);
    await this.tokens.revoke(dto.token_id, user, meta);
    return {};
  }
}
