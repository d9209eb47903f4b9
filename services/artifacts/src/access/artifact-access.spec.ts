import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FastifyRequest } from 'fastify';
import { MlflowError } from '@logbook/platform';
import { OwnerExperiment, Owners } from '../owners/owners';
import { ArtifactPathSubjects, RunExperiments } from './artifact-access';

const RUN = 'a'.repeat(32);
const OTHER_RUN = 'b'.repeat(32);

/** What the artifacts service knows: run RUN holds `1/RUN/artifacts`, a logged model `1/models/m-…/artifacts`. */
function knownOwners(calls: { path: string; wait: boolean }[] = []) {
  const roots: Record<string, OwnerExperiment> = {
    [`1/${RUN}/artifacts`]: { kind: 'run', experimentId: '1' },
    [`1/models/m-${'c'.repeat(32)}/artifacts`]: { kind: 'logged-model', experimentId: '1' },
    [`1/nested/${OTHER_RUN}/artifacts`]: { kind: 'run', experimentId: '7' },
    [`team/churn/${OTHER_RUN}/artifacts`]: { kind: 'run', experimentId: '7' },
  };
  return {
    async holderOf(path: string, { wait }: { wait: boolean }) {
      calls.push({ path, wait });
      const root = Object.keys(roots)
        .filter((candidate) => path === candidate || path.startsWith(`${candidate}/`))
        .sort((a, b) => b.length - a.length)[0];
      return root ? roots[root] : undefined;
    },
    async beneath(path: string) {
      return Object.entries(roots)
        .filter(([root]) => root.startsWith(`${path}/`))
        .map(([, owner]) => owner);
    },
    async registeredModelName(id: string) {
      return id === 'rm1' ? 'fraud' : undefined;
    },
  } as unknown as Owners;
}

const request = (
  method: string,
  url: string,
  options: { admin?: boolean; query?: Record<string, unknown>; route?: string } = {},
) => {
  const route =
    options.route ??
    (url.startsWith('/api/2.0/mlflow-artifacts/artifacts?')
      ? '/api/2.0/mlflow-artifacts/artifacts'
      : '/api/2.0/mlflow-artifacts/artifacts/*');
  return {
    method,
    raw: { url },
    routeOptions: { url: route },
    query: options.query ?? {},
    principal: { actor: { id: '2', kind: 'user', name: 'u', authMethod: 'basic' }, isAdmin: options.admin ?? false },
  } as unknown as FastifyRequest;
};

const subjectsOf = (req: FastifyRequest, owners = knownOwners()) => new ArtifactPathSubjects(owners).of(req);
const file = (path: string) => `/api/2.0/mlflow-artifacts/artifacts/${path}`;
const nonEmpty = (subjects: object) => Object.fromEntries(Object.entries(subjects).filter(([, ids]) => ids.length > 0));

describe('what an artifact proxy path is judged against (MLflow _get_proxy_artifact_validator)', () => {
  it("judges a path a known run or logged model holds by that owner's experiment, through its tier", async () => {
    assert.deepEqual(nonEmpty(await subjectsOf(request('GET', file(`1/${RUN}/artifacts/a/b.txt`)))), { run: ['1'] });
    assert.deepEqual(nonEmpty(await subjectsOf(request('PUT', file(`1/models/m-${'c'.repeat(32)}/artifacts/x`)))), {
      logged_model: ['1'],
    });
    // Whatever experiment the path's first segment names: the owner's own experiment decides.
    assert.deepEqual(nonEmpty(await subjectsOf(request('GET', file(`1/nested/${OTHER_RUN}/artifacts/x`)))), {
      run: ['7'],
    });
    assert.deepEqual(nonEmpty(await subjectsOf(request('GET', file(`team/churn/${OTHER_RUN}/artifacts/x`)))), {
      run: ['7'],
    });
  });

  it('waits for an owner to be announced only for a write or a delete, as the route itself does', async () => {
    const calls: { path: string; wait: boolean }[] = [];
    for (const method of ['GET', 'PUT', 'POST', 'DELETE']) {
      await new ArtifactPathSubjects(knownOwners(calls)).of(request(method, file(`1/${RUN}/artifacts/x`)));
    }
    assert.deepEqual(
      calls.map((call) => call.wait),
      [false, true, true, true],
    );
  });

  it('reads a path no known root holds as MLflow does: the experiment it names, the tier its shape says', async () => {
    const cases: [string, string, Record<string, string[]>][] = [
      ['GET', '5', { experiment: ['5'] }],
      ['GET', `5/${RUN}`, { run: ['5'] }],
      ['GET', `5/${'d'.repeat(32)}/artifacts/x`, { run: ['5'] }],
      ['GET', '5/whatever/artifacts', { run: ['5'] }],
      ['PUT', '5/models/m-x/artifacts/y', { logged_model: ['5'] }],
      ['GET', '5/traces/tr-1/artifacts/y', { trace: ['5'] }],
      ['GET', '5/notes.txt', { experiment: ['5'] }],
      ['DELETE', '5/notes.txt', { run: ['5'] }],
      ['DELETE', '5', { run: ['5'], trace: ['5'], logged_model: ['5'] }],
    ];
    for (const [method, path, expected] of cases) {
      assert.deepEqual(nonEmpty(await subjectsOf(request(method, file(path)))), expected, `${method} ${path}`);
    }
  });

  it('lists by the `path` query parameter; the store root and a path naming no experiment go by the default permission', async () => {
    const listing = (path?: unknown) =>
      request('GET', '/api/2.0/mlflow-artifacts/artifacts?path=', { query: path === undefined ? {} : { path } });
    assert.deepEqual(nonEmpty(await subjectsOf(listing())), { store: [''] });
    assert.deepEqual(nonEmpty(await subjectsOf(listing('1'))), { experiment: ['1'] });
    assert.deepEqual(nonEmpty(await subjectsOf(listing(`1/${RUN}/artifacts`))), { run: ['1'] });
    assert.deepEqual(nonEmpty(await subjectsOf(request('PUT', file('elsewhere/x.txt')))), {
      store: ['elsewhere/x.txt'],
    });
    await assert.rejects(
      subjectsOf(listing(['1', '2'])),
      (error: MlflowError) => error.errorCode === 'PERMISSION_DENIED',
    );
  });

  it('judges registry storage by the registered model, by its name; an unknown one by the default permission', async () => {
    assert.deepEqual(nonEmpty(await subjectsOf(request('GET', file('registry/rm1/3/MLmodel')))), {
      registered_model: ['fraud'],
    });
    assert.deepEqual(nonEmpty(await subjectsOf(request('GET', file('registry/rm2/1/MLmodel')))), {
      store: ['registry/rm2/1/MLmodel'],
    });
  });

  it('judges deleting a folder by every root inside it too', async () => {
    assert.deepEqual(nonEmpty(await subjectsOf(request('DELETE', file('1/nested')))), { run: ['1', '7'] });
  });

  it('refuses a path that is no valid artifact path to all but an admin (MLflow: unparsable denies)', async () => {
    for (const path of ['1/%252e%252e/x', '1/a%5Cb', '1/%00', '%2Fetc/passwd']) {
      await assert.rejects(
        subjectsOf(request('GET', file(path))),
        (error: MlflowError) => error.errorCode === 'PERMISSION_DENIED',
        path,
      );
      assert.deepEqual(nonEmpty(await subjectsOf(request('GET', file(path), { admin: true }))), {}, path);
    }
  });

  it('judges a path the route names besides the request (the file a multipart upload writes) by itself', async () => {
    const req = request('POST', `/api/2.0/mlflow-artifacts/mpu/create/1/nested/${OTHER_RUN}`, {
      route: '/api/2.0/mlflow-artifacts/mpu/create/*',
    });
    const subjects = new ArtifactPathSubjects(knownOwners());
    assert.deepEqual(nonEmpty(await subjects.of(req)), { experiment: ['1'] });
    assert.deepEqual(nonEmpty(await subjects.of(req, `1/nested/${OTHER_RUN}/artifacts`)), { run: ['7'] });
  });

  it('resolves a request once, whichever rule asks', async () => {
    const calls: { path: string; wait: boolean }[] = [];
    const subjects = new ArtifactPathSubjects(knownOwners(calls));
    const req = request('GET', file(`1/${RUN}/artifacts/x`));
    await Promise.all([subjects.of(req), subjects.of(req), subjects.of(req)]);
    assert.equal(calls.length, 1);
  });
});

describe('the experiment of a run, for run-relative routes', () => {
  it('is looked up once per run and remembered; an unknown run is looked up again next time', async () => {
    const asked: string[] = [];
    const owners = {
      async experimentOf(_kind: string, id: string) {
        asked.push(id);
        return id === RUN ? '3' : undefined;
      },
    } as unknown as Owners;
    const runs = new RunExperiments(owners);
    assert.equal(await runs.ownerOf(RUN), '3');
    assert.equal(await runs.ownerOf(RUN), '3');
    assert.equal(await runs.ownerOf(OTHER_RUN), null);
    assert.equal(await runs.ownerOf(OTHER_RUN), null);
    assert.deepEqual(asked, [RUN, OTHER_RUN, OTHER_RUN]);
  });
});
