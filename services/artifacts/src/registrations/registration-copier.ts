import { posix } from 'node:path';
import { EventStore } from '@logbook/eventstore';
import { Announcements } from '@logbook/messaging';
import {
  backoffDelay,
  CommandMetadata,
  Database,
  DependencyStatus,
  Logger,
  Outage,
  systemActor,
} from '@logbook/platform';
import { servedContentType } from '../content-type';
import { MLMODEL_MAX_BYTES, ModelSummary, summarizeMlModel } from '../mlmodel';
import { ArtifactStorage } from '../storage/artifact-storage';
import { registrationStream, registrationStreamId } from './registration.decider';
import { RegisteredFile } from './registration.events';
import {
  modelFolder,
  parseRegistrationSource,
  registryFolder,
  SourceOwner,
  SourceRefused,
  StoreIdentity,
} from './registration-source';

/** Attempts after which a copy that keeps failing (not a refused source: the store, say) is given up as failed. */
const MAX_ATTEMPTS = 10;

interface Claim {
  attempts: number;
  /** When the registry created the version. */
  requestedAt: number;
  registeredModelId: string;
  version: number;
  name: string;
  source: string;
  causeEventId: string;
  correlationId: string;
}

type Outcome = { verified: { files: RegisteredFile[]; summary: ModelSummary } } | { refused: string };

export interface RegistrationCopierOptions {
  db: Database;
  store: EventStore;
  storage: ArtifactStorage;
  storeIdentity: StoreIdentity;
  announcements: Announcements;
  /** How long a source naming a run or logged model tracking has not announced yet is waited for. */
  ownerWaitMs: number;
  logger: Logger;
  /** How long a claim on a registration lasts unless renewed: another replica takes over a crashed one's after it. */
  leaseMs?: number;
  /** Copies one replica makes at a time (default 4): a large model or a source still awaited does not hold up the rest. */
  parallelism?: number;
}

class CopyStopped extends Error {
  constructor() {
    super('the copier was stopped mid-copy');
  }
}

/** Prefixes of a path, longest first: the roots it may belong to. */
const rootCandidates = (path: string) => {
  const segments = path.split('/');
  return segments.map((_, i) => segments.slice(0, segments.length - i).join('/'));
};

/**
 * Verifies and copies the model versions the registry created (queued by its consumer) into registry
 * storage, a few at a time per replica, outside any transaction: file by file, streaming, each measured
 * (size, sha256) as it is written. The outcome is recorded once per version (registration stream) and
 * published. A registration is claimed with a lease, renewed while copying and released on stop, so a
 * restarted or surviving replica redoes an unfinished copy from scratch: the version's folder is
 * emptied first, and nothing points at it before the outcome is recorded.
 */
export class RegistrationCopier {
  private readonly logger: Logger;
  private readonly leaseMs: number;
  private readonly outage: Outage;
  private readonly parallelism: number;
  private running = false;
  private loops: Promise<void>[] = [];
  private woken = false;
  private readonly idlers = new Set<() => void>();
  private readonly copies = new Set<AbortController>();

  constructor(private readonly options: RegistrationCopierOptions) {
    this.logger = options.logger.child({ worker: 'registration-copier' });
    this.leaseMs = options.leaseMs ?? 30_000;
    this.parallelism = options.parallelism ?? 4;
    this.outage = new Outage(this.logger, 'registration copier');
    this.outage.recovered();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.parallelism }, () => this.run());
  }

  /** A registration was queued: look for work now. */
  notify(): void {
    this.woken = true;
    for (const idler of this.idlers) idler();
  }

  status(): DependencyStatus {
    return this.outage.status();
  }

  /** Interrupts the copy in hand (its claim is released for the next start or replica) and stops. */
  async stop(): Promise<void> {
    this.running = false;
    for (const copy of this.copies) copy.abort();
    for (const idler of this.idlers) idler();
    await Promise.all(this.loops);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.woken = false;
      try {
        const claim = await this.claimNext();
        if (claim) {
          await this.process(claim);
          failures = 0;
          this.outage.recovered();
          continue;
        }
        this.outage.recovered();
        // Unclaimed work of a replica that died shows up when its lease ends: look again then at the latest.
        await this.idle(this.leaseMs);
      } catch (error) {
        if (error instanceof CopyStopped) return;
        failures++;
        const retryInMs = backoffDelay(failures, 250, 30_000);
        this.outage.failed(error, retryInMs);
        await this.idle(retryInMs);
      }
    }
  }

  private async idle(ms: number): Promise<void> {
    if (this.woken || !this.running) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idlers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.idlers.add(done);
    });
  }

  private async claimNext(): Promise<Claim | undefined> {
    const now = Date.now();
    const { rows } = await this.options.db.query<{
      registered_model_id: string;
      version: number;
      name: string;
      source: string;
      cause_event_id: string;
      correlation_id: string;
      attempts: number;
      requested_at: string;
    }>(
      `UPDATE artifacts.registrations SET claimed_until = $2, attempts = attempts + 1
       WHERE (registered_model_id, version) = (
         SELECT registered_model_id, version FROM artifacts.registrations
         WHERE NOT done AND (claimed_until IS NULL OR claimed_until < $1)
         ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING registered_model_id, version, name, source, cause_event_id, correlation_id, attempts, requested_at`,
      [now, now + this.leaseMs],
    );
    const row = rows[0];
    return (
      row && {
        attempts: row.attempts,
        requestedAt: Number(row.requested_at),
        registeredModelId: row.registered_model_id,
        version: row.version,
        name: row.name,
        source: row.source,
        causeEventId: row.cause_event_id,
        correlationId: row.correlation_id,
      }
    );
  }

  private async process(claim: Claim): Promise<void> {
    const abort = new AbortController();
    this.copies.add(abort);
    const renewal = setInterval(() => void this.renew(claim).catch(() => undefined), this.leaseMs / 3);
    try {
      const outcome = await this.verify(claim, abort.signal);
      await this.record(claim, outcome);
    } catch (error) {
      if (!(error instanceof CopyStopped) && claim.attempts >= MAX_ATTEMPTS) {
        const message = error instanceof Error ? error.message : String(error);
        await this.record(claim, {
          refused: `The source could not be copied after ${claim.attempts} attempts: ${message}`,
        });
        return;
      }
      await this.release(claim).catch(() => undefined);
      throw error;
    } finally {
      clearInterval(renewal);
      this.copies.delete(abort);
    }
  }

  private async verify(claim: Claim, signal: AbortSignal): Promise<Outcome> {
    try {
      const parsed = parseRegistrationSource(claim.source, this.options.storeIdentity);
      const owner =
        parsed.kind === 'store'
          ? await this.ownerOfPath(parsed.path)
          : await this.ownerById(parsed.kind === 'run' ? parsed.runId : parsed.modelId, parsed.kind, claim);
      const folder = modelFolder(parsed, owner, claim.source);
      return {
        verified: await this.copy(folder, registryFolder(claim.registeredModelId, claim.version), claim, signal),
      };
    } catch (error) {
      if (error instanceof SourceRefused) return { refused: error.message };
      throw error;
    }
  }

  private async copy(
    folder: string,
    destination: string,
    claim: Claim,
    signal: AbortSignal,
  ): Promise<{ files: RegisteredFile[]; summary: ModelSummary }> {
    const { storage } = this.options;
    if ((await storage.exists(`${folder}/MLmodel`)) !== 'file') {
      throw new SourceRefused(`No MLmodel file at the source '${claim.source}': it holds no MLflow model.`);
    }
    // What an interrupted attempt left must not end up in the copy.
    await storage.delete(destination);
    const files: RegisteredFile[] = [];
    for await (const path of this.filesUnder(folder, '')) {
      if (signal.aborted) throw new CopyStopped();
      const object = await storage.get(`${folder}/${path}`);
      if (!object)
        throw new SourceRefused(`'${path}' disappeared from the source '${claim.source}' while it was copied.`);
      // Destroyed without an error: the body may have no listener yet (storage prepares its destination
      // first), and an 'error' with no listener would take the process down.
      const stopOnAbort = () => object.body.destroy();
      signal.addEventListener('abort', stopOnAbort);
      try {
        const stored = await storage.put(`${destination}/${path}`, object.body, {
          contentType: servedContentType(path),
          maxBytes: Number.MAX_SAFE_INTEGER,
          size: object.size,
        });
        files.push({ path, size: stored.size, sha256: stored.sha256 });
      } catch (error) {
        if (signal.aborted) throw new CopyStopped();
        throw error;
      } finally {
        signal.removeEventListener('abort', stopOnAbort);
      }
    }
    const summary = await this.summaryOf(`${destination}/MLmodel`);
    if (!summary)
      throw new SourceRefused(`The MLmodel file at the source '${claim.source}' is not a valid MLmodel document.`);
    return { files, summary };
  }

  private async *filesUnder(folder: string, relative: string): AsyncGenerator<string> {
    const entries = await this.options.storage.list(relative ? `${folder}/${relative}` : folder);
    for (const entry of entries) {
      const path = relative ? posix.join(relative, entry.name) : entry.name;
      if (entry.isDir) yield* this.filesUnder(folder, path);
      else yield path;
    }
  }

  private async summaryOf(path: string): Promise<ModelSummary | undefined> {
    const object = await this.options.storage.get(path);
    if (!object) return undefined;
    if (object.size > MLMODEL_MAX_BYTES) {
      object.body.destroy();
      return undefined;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return summarizeMlModel(Buffer.concat(chunks).toString('utf8'));
  }

  /**
   * Tracking's events may lag the registry's: an unknown owner is waited for, until `ownerWaitMs` after the
   * version was created. A backlog of old versions (a consumer catching up) waits for nothing.
   */
  private async ownerById(ownerId: string, kind: 'run' | 'logged-model', claim: Claim) {
    const lookup = () => this.owner(`owner_id = $1 AND kind = $2`, [ownerId, kind]);
    const waitMs = claim.requestedAt + this.options.ownerWaitMs - Date.now();
    return (await lookup()) ?? (waitMs > 0 ? this.options.announcements.until(lookup, waitMs) : undefined);
  }

  private ownerOfPath(path: string): Promise<SourceOwner | undefined> {
    return this.owner(`root = ANY($1::text[]) ORDER BY length(root) DESC LIMIT 1`, [rootCandidates(path)]);
  }

  private async owner(where: string, params: unknown[]): Promise<SourceOwner | undefined> {
    const { rows } = await this.options.db.query<{
      root: string;
      kind: 'run' | 'logged-model';
      owner_id: string;
      lifecycle_stage: string;
    }>(`SELECT root, kind, owner_id, lifecycle_stage FROM artifacts.owners WHERE ${where}`, params);
    const row = rows[0];
    return row && { root: row.root, kind: row.kind, ownerId: row.owner_id, purged: row.lifecycle_stage === 'purged' };
  }

  private async record(claim: Claim, outcome: Outcome): Promise<void> {
    const { store, db } = this.options;
    const metadata: CommandMetadata = {
      now: Date.now(),
      actor: systemActor('artifacts'),
      requestId: claim.correlationId,
      causationId: claim.causeEventId,
    };
    const key = {
      registeredModelId: claim.registeredModelId,
      name: claim.name,
      version: claim.version,
      source: claim.source,
    };
    const command =
      'verified' in outcome
        ? {
            type: 'RecordVerified' as const,
            data: {
              ...key,
              ...outcome.verified,
              storageLocation: `mlflow-artifacts:/${registryFolder(claim.registeredModelId, claim.version)}`,
            },
            metadata,
          }
        : { type: 'RecordVerificationFailed' as const, data: { ...key, message: outcome.refused }, metadata };
    await db.transaction(async (tx) => {
      await store.handleIn(
        tx,
        registrationStream,
        registrationStreamId(claim.registeredModelId, claim.version),
        command,
        metadata,
      );
      await tx.query(
        `UPDATE artifacts.registrations SET done = true, claimed_until = NULL WHERE registered_model_id = $1 AND version = $2`,
        [claim.registeredModelId, claim.version],
      );
    });
    this.logger.info(
      {
        registeredModelId: claim.registeredModelId,
        version: claim.version,
        outcome: 'verified' in outcome ? 'verified' : 'refused',
      },
      'model version verified',
    );
  }

  private async renew(claim: Claim): Promise<void> {
    await this.options.db.query(
      `UPDATE artifacts.registrations SET claimed_until = $3 WHERE registered_model_id = $1 AND version = $2 AND NOT done`,
      [claim.registeredModelId, claim.version, Date.now() + this.leaseMs],
    );
  }

  private async release(claim: Claim): Promise<void> {
    await this.options.db.query(
      `UPDATE artifacts.registrations SET claimed_until = NULL WHERE registered_model_id = $1 AND version = $2`,
      [claim.registeredModelId, claim.version],
    );
  }
}
