import { Body, Controller, DynamicModule, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { Authorize, GRANT_SOURCE, GrantSource, INTERNAL_ACCESS_ROUTES, Rules, Subject } from '@logbook/access';
import { invalidParameter } from '@logbook/platform';

const isSubject = (value: unknown): value is Subject => {
  const subject = value as Record<string, unknown> | null;
  return (
    typeof subject === 'object' &&
    subject !== null &&
    typeof subject.userId === 'string' &&
    typeof subject.username === 'string' &&
    Array.isArray(subject.groups) &&
    subject.groups.every((group) => typeof group === 'string')
  );
};

function subjectIn(body: unknown): Subject {
  const subject = (body as { subject?: unknown } | null)?.subject;
  if (!isSubject(subject)) throw invalidParameter('subject must be {userId, username, groups}');
  return subject;
}

// Only the services behind the gateway reach these: the credentials hook admits their signed principal alone.
@Authorize(Rules.ownChecks())
@Controller()
class InternalAccessController {
  constructor(@Inject(GRANT_SOURCE) private readonly source: GrantSource) {}

  @Post(INTERNAL_ACCESS_ROUTES.grants)
  @HttpCode(200)
  grants(@Body() body: unknown) {
    return this.source.grantsOf(subjectIn(body));
  }

  @Post(INTERNAL_ACCESS_ROUTES.users)
  @HttpCode(200)
  async users(@Body() body: { username?: unknown }) {
    const { username } = body ?? {};
    if (typeof username !== 'string') throw invalidParameter('username must be a string');
    const user = await this.source.userNamed(username);
    return user ? { user } : {};
  }

  @Post(INTERNAL_ACCESS_ROUTES.creatorGrants)
  @HttpCode(200)
  async creatorGrants(@Body() body: { resourceType?: unknown; resourceId?: unknown }) {
    const { resourceType, resourceId } = body ?? {};
    if (typeof resourceType !== 'string' || typeof resourceId !== 'string') {
      throw invalidParameter('resourceType and resourceId must be strings');
    }
    await this.source.grantCreator(subjectIn(body), resourceType, resourceId);
    return {};
  }

  @Post(INTERNAL_ACCESS_ROUTES.renamedResources)
  @HttpCode(200)
  async renamedResources(@Body() body: { resourceType?: unknown; from?: unknown; to?: unknown }) {
    const { resourceType, from, to } = body ?? {};
    if (typeof resourceType !== 'string' || typeof from !== 'string' || typeof to !== 'string') {
      throw invalidParameter('resourceType, from and to must be strings');
    }
    await this.source.resourceRenamed(resourceType, from, to);
    return {};
  }

  @Post(INTERNAL_ACCESS_ROUTES.deletedResources)
  @HttpCode(200)
  async deletedResources(@Body() body: { resourceType?: unknown; resourceId?: unknown }) {
    const { resourceType, resourceId } = body ?? {};
    if (typeof resourceType !== 'string' || typeof resourceId !== 'string') {
      throw invalidParameter('resourceType and resourceId must be strings');
    }
    await this.source.resourceDeleted(resourceType, resourceId);
    return {};
  }
}

/** The identity service's grants, served to the services behind the gateway (distributed shape, auth on). */
@Module({ controllers: [InternalAccessController] })
export class InternalAccessModule {
  static with(): DynamicModule {
    return { module: InternalAccessModule };
  }
}
