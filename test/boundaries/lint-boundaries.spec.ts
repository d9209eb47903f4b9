import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint, Linter } from 'eslint';

/** <repo>/dist/test/boundaries -> <repo>: the lint config and the fixtures are read from the sources. */
const REPO = resolve(__dirname, '../../..');
const FIXTURES = join(REPO, 'test/boundaries/fixtures');
const BOUNDARY_RULE = 'boundaries/dependencies';

/** Lints a fixture as if it were the file `asFile`, with the project's own eslint.config.mjs. */
async function lintAs(fixture: string, asFile: string): Promise<Linter.LintMessage[]> {
  const eslint = new ESLint({ cwd: REPO });
  const [result] = await eslint.lintText(readFileSync(join(FIXTURES, fixture), 'utf8'), {
    filePath: join(REPO, asFile),
  });
  return result.messages;
}

const boundaryErrors = (messages: Linter.LintMessage[]) =>
  messages.filter((message) => message.ruleId === BOUNDARY_RULE && message.severity === 2);

describe('lint config: the dependency boundaries', () => {
  const breaks: Array<{ what: string; fixture: string; asFile: string }> = [
    {
      what: 'a service importing another service',
      fixture: 'service-to-service.ts',
      asFile: 'services/tracking/src/x.ts',
    },
    { what: 'a lib importing a service', fixture: 'lib-to-service.ts', asFile: 'libs/messaging/src/x.ts' },
    { what: 'platform importing another lib', fixture: 'platform-to-lib.ts', asFile: 'libs/platform/src/x.ts' },
    {
      what: "a deep import into a lib's internals",
      fixture: 'deep-lib-import.ts',
      asFile: 'services/tracking/src/x.ts',
    },
    {
      what: "the gateway importing a service's internals",
      fixture: 'gateway-to-service-internals.ts',
      asFile: 'services/gateway/src/x.ts',
    },
    {
      what: 'production code importing libs/testing',
      fixture: 'production-uses-testing.ts',
      asFile: 'services/tracking/src/x.ts',
    },
  ];
  for (const { what, fixture, asFile } of breaks) {
    it(`fails on ${what}`, async () => {
      const errors = boundaryErrors(await lintAs(fixture, asFile));
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0].line, 2, 'the error points at the import');
    });
  }

  it("passes libs and other services' entry points imported by the gateway", async () => {
    assert.deepEqual(await lintAs('good-imports.ts', 'services/gateway/src/x.ts'), []);
  });

  it('passes a spec using libs/testing next to its own lib', async () => {
    assert.deepEqual(await lintAs('good-spec-imports.ts', 'libs/messaging/src/x.spec.ts'), []);
  });
});
