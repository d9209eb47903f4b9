/**
 * The governance workloads of `npm run bench -- --only governance` (issue 12, "Speed"):
 * - G1, what a policy adds to a transition: a plain `model-versions/transition-stage` to Production on a
 *   model no policy governs, against the governed path on a model a policy does (request, an approval
 *   from each of two roles, the last one applying the transition), interleaved, on READY versions whose
 *   evidence the policy checks;
 * - G2, the audit trail searched by model: `audit/entries/search?name=` (a page of 100) over at least a
 *   million audit rows, the chain verified after seeding them.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { appendAuditEntries, AuditContent } from '@logbook/audit';
import { Database } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../../services/registry/migrations/001_initial';
import { basicAuth, BenchError, Client, ErrorLog, LatencyStats, latencyStats, log, fmt, sleep } from './bench-support';
import { runWithModel } from './registry-workload';

export interface GovernanceOptions {
  /** Timed transitions of each path. */
  transitions: number;
  /** Audit rows in the trail when it is searched (real ones included). */
  auditRows: number;
  searchReps: number;
  timeLimitSeconds: number;
  requestTimeoutMs: number;
}

/** What bench.ts supplies: the server's address and admin, its database for the seeding, the reads' statistics refresh. */
export interface GovernanceHooks<Resources> {
  url: string;
  admin: Client;
  /**
   * Runs `work` on the registry's database: in the distributed shape beside the running services, in
   * the embedded one with the process stopped (PGlite holds its folder) and started again afterwards.
   */
  withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T>;
  beforeReads(): boolean;
  /** Starts measuring the server processes' CPU and RSS; the function returned stops and answers. */
  measure(): () => Resources | undefined;
}

const PASSWORD = 'the bench governance password';
const REQUESTER = 'bench-requester';
const APPROVERS = { risk: 'bench-risk', owners: 'bench-owner' } as const;
const WARMUPS = 3;
const PAGE = 100;
/** Models the generated audit rows are spread over, round robin: each one's rows span the whole trail. */
const GENERATED_MODELS = 1000;
const SEED_BATCH = 5000;
const VERIFY_TIMEOUT_MS = 30 * 60_000;

export interface TransitionResult {
  reps: number;
  /** transition-stage to Production, ungoverned. */
  plainMs: LatencyStats;
  /** The governed path's calls: the request, the first approval, and the last one, which applies the transition. */
  requestMs: LatencyStats;
  firstApprovalMs: LatencyStats;
  applyingApprovalMs: LatencyStats;
  /** Request + both approvals, one after the other. */
  flowMs: LatencyStats;
  /** applyingApprovalMs.p50 - plainMs.p50. */
  addedAtP50Ms: number;
  failures: string[];
}

/** Where the timed requests' resources were measured, the figures of both phases. */
export interface Measured<Resources> {
  resources?: Resources;
}

export interface AuditQueryResult {
  label: string;
  query: string;
  matching: number;
  sequential: LatencyStats;
  resultBytes: number;
}

export interface AuditSearchResult {
  rows: number;
  seeding: { generatedRows: number; realRows: number; wallSeconds: number; rowsPerSecond: number; how: string };
  verification: { valid: boolean; rowsChecked: number; seconds: number; firstBroken: unknown };
  analyzed: boolean;
  queries: AuditQueryResult[];
  checks: { checked: number; failures: string[] };
}

export interface GovernanceResult<Resources> {
  transitions: TransitionResult & Measured<Resources>;
  audit: AuditSearchResult & Measured<Resources>;
  errors: { total: number; byStatus: Record<string, number>; samples: string[] };
}

interface VersionAnswer {
  model_version: { status: string; current_stage: string };
}

interface RequestAnswer {
  request: { status: string; evaluation?: { outcome?: string; missing?: string[] } };
}

interface AuditPage {
  entries?: Array<{ seq: number; target: { name: string | null } }>;
  next_page_token?: string;
}

export async function governanceWorkload<Resources>(
  o: GovernanceOptions,
  hooks: GovernanceHooks<Resources>,
  stamp: string,
): Promise<GovernanceResult<Resources>> {
  const errors = new ErrorLog();
  const people = await setUpPeople(hooks, o, stamp);
  const transitions = await compareTransitions(people, o, hooks, errors, stamp);
  const audit = await searchAudit(hooks, o, errors, stamp, transitions.governedModel);
  return {
    transitions: transitions.result,
    audit,
    errors: { total: errors.total, byStatus: errors.byStatus, samples: errors.samples },
  };
}

// ------------------------------------------------------------------------------------------ setup

interface People {
  requester: Client;
  risk: Client;
  owner: Client;
  admin: Client;
  policyPattern: string;
}

/** Three users, two roles and a policy: Production of the bench's governed models needs one approval from each role. */
async function setUpPeople<Resources>(
  hooks: GovernanceHooks<Resources>,
  o: GovernanceOptions,
  stamp: string,
): Promise<People> {
  const { admin } = hooks;
  const client = (username: string) => new Client(hooks.url, o.requestTimeoutMs, basicAuth(username, PASSWORD));
  for (const username of [REQUESTER, APPROVERS.risk, APPROVERS.owners])
    await admin.json('POST', '/api/2.0/mlflow/users/create', { username, password: PASSWORD });
  for (const [role, member] of [
    ['risk', APPROVERS.risk],
    ['model-owners', APPROVERS.owners],
  ]) {
    const { id } = (
      await admin.json<{ role: { id: number } }>('POST', '/api/3.0/mlflow/roles/create', {
        name: role,
        workspace: 'default',
      })
    ).role;
    await admin.json('POST', '/api/3.0/mlflow/roles/assign', { username: member, role_id: id });
  }
  const policyPattern = `bench-governed-${stamp}-*`;
  await admin.json('POST', '/api/2.0/logbook/policies/create', {
    name: `bench-production-${stamp}`,
    applies_to: policyPattern,
    targets: { stages: ['Production'] },
    approvals: [
      { count: 1, from: ['risk'] },
      { count: 1, from: ['model-owners'] },
    ],
    evidence: { tags: { validation: 'passed' }, ready: true },
    expires_after: '72h',
  });
  return {
    requester: client(REQUESTER),
    risk: client(APPROVERS.risk),
    owner: client(APPROVERS.owners),
    admin,
    policyPattern,
  };
}

/** A model with version 1 READY (registered from a real model) and tagged as the policy's evidence wants. */
async function readyModel(client: Client, name: string, source: { runId: string; source: string }) {
  await client.json('POST', '/api/2.0/mlflow/registered-models/create', { name });
  await client.json('POST', '/api/2.0/mlflow/model-versions/create', {
    name,
    source: source.source,
    run_id: source.runId,
  });
  const deadline = performance.now() + 60_000;
  for (;;) {
    const { status } = (
      await client.json<VersionAnswer>('GET', `/api/2.0/mlflow/model-versions/get?name=${name}&version=1`)
    ).model_version;
    if (status === 'READY') break;
    if (status !== 'PENDING_REGISTRATION' || performance.now() > deadline)
      throw new BenchError(`governance: version 1 of ${name} is ${status}, not READY`);
    await sleep(20);
  }
  await client.json('POST', '/api/2.0/mlflow/model-versions/set-tag', {
    name,
    version: '1',
    key: 'validation',
    value: 'passed',
  });
}

// ------------------------------------------------------------------------------------------ G1: transitions

async function compareTransitions<Resources>(
  people: People,
  o: GovernanceOptions,
  hooks: GovernanceHooks<Resources>,
  errors: ErrorLog,
  stamp: string,
) {
  const { requester, risk, owner } = people;
  const source = await runWithModel(requester, `bench-governance-${stamp}`);
  const plainModel = `bench-plain-${stamp}`;
  const governedModel = people.policyPattern.replace('*', 'model');
  await readyModel(requester, plainModel, source);
  await readyModel(requester, governedModel, source);

  const failures: string[] = [];
  const fail = (message: string) => {
    if (failures.length < 10) failures.push(message);
  };
  const call = async (client: Client, what: string, path: string, body: Record<string, unknown>) => {
    const reply = await client.send('POST', path, body);
    if (reply.status !== 200) errors.add(what, reply);
    return reply;
  };
  // Both paths start from Staging, which no policy governs, so each timed call moves Staging -> Production.
  const toStaging = (name: string) =>
    call(requester, 'transition-stage to Staging', '/api/2.0/mlflow/model-versions/transition-stage', {
      name,
      version: '1',
      stage: 'Staging',
      archive_existing_versions: false,
    });
  const target = { name: governedModel, version: '1', stage: 'Production' };
  const samples = { plain: [] as number[], request: [] as number[], first: [] as number[], applying: [] as number[] };
  const flows: number[] = [];

  const plain = async (timed: boolean) => {
    await toStaging(plainModel);
    const reply = await call(requester, 'transition-stage', '/api/2.0/mlflow/model-versions/transition-stage', {
      name: plainModel,
      version: '1',
      stage: 'Production',
      archive_existing_versions: false,
    });
    if (reply.status !== 200) return;
    if ((JSON.parse(reply.body) as VersionAnswer).model_version.current_stage !== 'Production')
      fail(`plain transition answered ${reply.body.slice(0, 200)}`);
    if (timed) samples.plain.push(reply.ms);
  };
  const governed = async (timed: boolean) => {
    await toStaging(governedModel);
    const requested = await call(
      requester,
      'transition-requests/create',
      '/api/2.0/mlflow/transition-requests/create',
      target,
    );
    const first = await call(
      risk,
      'transition-requests/approve (risk)',
      '/api/2.0/mlflow/transition-requests/approve',
      {
        ...target,
        archive_existing_versions: false,
      },
    );
    const applying = await call(
      owner,
      'transition-requests/approve (owner)',
      '/api/2.0/mlflow/transition-requests/approve',
      {
        ...target,
        archive_existing_versions: false,
      },
    );
    if ([requested, first, applying].some((reply) => reply.status !== 200)) return;
    const { request } = JSON.parse(applying.body) as RequestAnswer;
    if (request.status !== 'APPLIED') return fail(`the last approval left the request ${applying.body.slice(0, 300)}`);
    if (timed) {
      samples.request.push(requested.ms);
      samples.first.push(first.ms);
      samples.applying.push(applying.ms);
      flows.push(requested.ms + first.ms + applying.ms);
    }
  };

  log(
    `governance: ${WARMUPS} warm-ups, then ${o.transitions} plain and ${o.transitions} governed transitions, interleaved`,
  );
  for (let i = 0; i < WARMUPS; i++) {
    await plain(false);
    await governed(false);
  }
  const close = hooks.measure();
  const deadline = performance.now() + o.timeLimitSeconds * 1000;
  for (let i = 0; i < o.transitions && performance.now() < deadline; i++) {
    await plain(true);
    await governed(true);
  }
  const resources = close();
  const governedStage = (
    await requester.json<VersionAnswer>('GET', `/api/2.0/mlflow/model-versions/get?name=${governedModel}&version=1`)
  ).model_version.current_stage;
  if (governedStage !== 'Production') fail(`the governed version ended in ${governedStage}, not Production`);
  const stats = {
    plainMs: latencyStats(samples.plain),
    requestMs: latencyStats(samples.request),
    firstApprovalMs: latencyStats(samples.first),
    applyingApprovalMs: latencyStats(samples.applying),
    flowMs: latencyStats(flows),
  };
  return {
    governedModel,
    result: {
      reps: samples.plain.length,
      ...stats,
      addedAtP50Ms: Math.round((stats.applyingApprovalMs.p50 - stats.plainMs.p50) * 100) / 100,
      failures,
      ...(resources !== undefined ? { resources } : {}),
    },
  };
}

// ------------------------------------------------------------------------------------------ G2: audit search

/**
 * Audit rows of the kind the registry writes for a tag set on a version, for the generated models in
 * turn: each row's content is its own, and the library's append path chains and stores them.
 */
function generatedRows(stamp: string, from: number, count: number, at: number): Omit<AuditContent, 'seq'>[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const model = generatedModel(stamp, i % GENERATED_MODELS);
    const version = 1 + (Math.floor(i / GENERATED_MODELS) % 20);
    const user = `user-${i % 37}`;
    const tags = { team: `team-${i % 10}` };
    return {
      recorded_at: new Date(at + k).toISOString(),
      event_id: randomUUID(),
      event_type: 'ModelVersionTagSet',
      stream_type: 'model-version',
      stream_id: `${model}/${version}`,
      target: { name: model, version },
      actor: { id: String(1000 + (i % 37)), name: user, kind: 'user', auth_method: 'basic' },
      request_id: randomUUID(),
      client: { address: '127.0.0.1', user_agent: 'mlflow-python-client/3.1.0' },
      before: { name: model, version, stage: 'None', status: 'READY', tags },
      after: { name: model, version, stage: 'None', status: 'READY', tags: { ...tags, step: String(i) } },
      decision: null,
    };
  });
}

const generatedModel = (stamp: string, k: number) => `bench-audit-${stamp}-${String(k).padStart(4, '0')}`;

async function searchAudit<Resources>(
  hooks: GovernanceHooks<Resources>,
  o: GovernanceOptions,
  errors: ErrorLog,
  stamp: string,
  governedModel: string,
): Promise<AuditSearchResult & Measured<Resources>> {
  const { admin } = hooks;
  const search = (params: Record<string, string>) =>
    `/api/2.0/logbook/audit/entries/search?${new URLSearchParams({ max_results: String(PAGE), ...params })}`;
  // The governed model's real rows, newest first, as the trail holds them before any generated row.
  const real = await admin.json<AuditPage>('GET', search({ name: governedModel, max_results: '1000' }));
  const realSeqs = (real.entries ?? []).map((entry) => entry.seq);
  if (realSeqs.length === 0) throw new BenchError(`governance: no audit rows for ${governedModel}`);

  const bulkModel = generatedModel(stamp, GENERATED_MODELS / 2);
  log(`governance: appending audit rows up to ${fmt(o.auditRows)} through the audit library's append path`);
  const t0 = performance.now();
  const seeded = await hooks.withDatabase(async (db) => {
    const { rows } = await db.query<{ seq: string }>(`SELECT seq FROM ${REGISTRY_SCHEMA}.audit_head`);
    const existing = Number(rows[0].seq);
    const wanted = Math.max(0, o.auditRows - existing);
    const bulkSeqs: number[] = [];
    for (let from = 0; from < wanted; from += SEED_BATCH) {
      const contents = generatedRows(stamp, from, Math.min(SEED_BATCH, wanted - from), Date.now());
      const entries = await db.transaction((tx) => appendAuditEntries(tx, REGISTRY_SCHEMA, contents));
      for (const entry of entries) if (entry.target.name === bulkModel) bulkSeqs.push(entry.seq);
      if ((from / SEED_BATCH) % 20 === 19) log(`governance: ${fmt(existing + from + contents.length)} audit rows`);
    }
    return { existing, generated: wanted, bulkSeqsNewestFirst: bulkSeqs.reverse() };
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const rows = seeded.existing + seeded.generated;

  log(`governance: verifying the chain of ${fmt(rows)} rows`);
  const v0 = performance.now();
  const verified = await admin
    .withTimeout(VERIFY_TIMEOUT_MS)
    .json<{ valid: boolean; rows_checked: number; first_broken: unknown }>('GET', '/api/2.0/logbook/audit/verify');
  const verification = {
    valid: verified.valid,
    rowsChecked: verified.rows_checked,
    seconds: Math.round((performance.now() - v0) / 100) / 10,
    firstBroken: verified.first_broken,
  };
  const analyzed = hooks.beforeReads();

  const bulkSeqs = seeded.bulkSeqsNewestFirst;
  // The second page is the one the first page's token asks for.
  const firstPage = await admin.json<AuditPage>('GET', search({ name: bulkModel }));
  const queries: Array<{ label: string; params: Record<string, string>; expected: number[] }> = [
    { label: 'real model', params: { name: governedModel }, expected: realSeqs },
    { label: 'generated model', params: { name: bulkModel }, expected: bulkSeqs },
  ];
  if (firstPage.next_page_token)
    queries.push({
      label: 'generated, page 2',
      params: { name: bulkModel, page_token: firstPage.next_page_token },
      expected: bulkSeqs.slice(PAGE),
    });

  const failures: string[] = [];
  let checked = 0;
  const check = (query: (typeof queries)[number], body: string) => {
    checked++;
    const page = JSON.parse(body) as AuditPage;
    const got = (page.entries ?? []).map((entry) => entry.seq);
    const want = query.expected.slice(0, PAGE);
    if ((got.length !== want.length || got.some((seq, i) => seq !== want[i])) && failures.length < 10) {
      const at = got.findIndex((seq, i) => seq !== want[i]);
      failures.push(`${query.label}: ${got.length} rows (expected ${want.length}), first difference at ${at}`);
    }
    if (query.expected.length > PAGE !== Boolean(page.next_page_token) && failures.length < 10)
      failures.push(`${query.label}: next_page_token ${page.next_page_token ? 'present' : 'absent'}`);
  };

  const results: AuditQueryResult[] = [];
  const close = hooks.measure();
  for (const query of queries) {
    const path = search(query.params);
    const latencies: number[] = [];
    let bytes = 0;
    log(`governance: audit search "${query.label}" (${fmt(query.expected.length)} match), ${o.searchReps} sequential`);
    for (let i = 0; i < WARMUPS + o.searchReps; i++) {
      const reply = await admin.send('GET', path);
      if (reply.status !== 200) {
        errors.add(`audit search ${query.label}`, reply);
        continue;
      }
      if (i < WARMUPS) {
        check(query, reply.body);
        continue;
      }
      latencies.push(reply.ms);
      bytes = reply.body.length;
    }
    results.push({
      label: query.label,
      query: path,
      matching: query.expected.length,
      sequential: latencyStats(latencies),
      resultBytes: bytes,
    });
  }
  const resources = close();
  return {
    rows,
    seeding: {
      generatedRows: seeded.generated,
      realRows: seeded.existing,
      wallSeconds: Math.round(wallSeconds * 10) / 10,
      rowsPerSecond: Math.round(seeded.generated / wallSeconds),
      how: `generated ModelVersionTagSet rows for ${GENERATED_MODELS} models, round robin, appended with @logbook/audit appendAuditEntries in transactions of ${SEED_BATCH}`,
    },
    verification,
    analyzed,
    queries: results,
    checks: { checked, failures },
    ...(resources !== undefined ? { resources } : {}),
  };
}
