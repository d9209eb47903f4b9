import { createPublicKey } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Queryable } from '@logbook/platform';
import { auditEntriesAfter, auditHead } from './audit-log';
import { AuditEntry, BrokenRow, ChainVerifier } from './chain';
import { AuditCheckpoint, auditCheckpoints, auditPublicKeys, checkpointSignatureValid, keyIdOf } from './checkpoints';

export interface VerificationResult {
  valid: boolean;
  rows_checked: number;
  first_broken: BrokenRow | null;
  /** Checkpoints whose signature and hash were both confirmed. */
  checkpoints_checked: number;
}

const VERIFY_BATCH = 1000;

/**
 * Walks the rows in order, recomputing each hash and link, and holds every signed checkpoint against the
 * row it signed: a chain rewritten with fresh hashes still differs from what was signed before. A
 * checkpoint without a known key (`publicKeys` by key id; null: none given) is left unchecked.
 */
export async function verifyEntries(
  entries: AsyncIterable<AuditEntry>,
  checkpoints: AuditCheckpoint[],
  publicKeys: Map<string, string> | null,
  options: { head?: { seq: number; hash: string }; fromFirstRow?: boolean } = {},
): Promise<VerificationResult> {
  const signed = new Map(checkpoints.map((checkpoint) => [checkpoint.seq, checkpoint]));
  let verifier: ChainVerifier | null = options.fromFirstRow ? null : new ChainVerifier();
  let checkpointsChecked = 0;
  for await (const entry of entries) {
    verifier ??= new ChainVerifier({ seq: entry.seq - 1, hash: entry.prev_hash });
    if (!verifier.check(entry)) break;
    const checkpoint = signed.get(entry.seq);
    if (!checkpoint || !publicKeys) continue;
    const publicKey = publicKeys.get(checkpoint.key_id);
    if (publicKey === undefined) {
      verifier.fail({ seq: entry.seq, reason: `its checkpoint is signed by an unknown key ${checkpoint.key_id}` });
    } else if (!checkpointSignatureValid(checkpoint, publicKey)) {
      verifier.fail({ seq: entry.seq, reason: 'its checkpoint signature is not valid' });
    } else if (checkpoint.hash !== entry.hash) {
      verifier.fail({
        seq: entry.seq,
        reason: 'its hash is not the one signed in its checkpoint (the rows up to it were rewritten)',
      });
    } else {
      checkpointsChecked++;
    }
    if (!verifier.result().valid) break;
  }
  verifier ??= new ChainVerifier();
  if (options.head) verifier.checkEnd(options.head);
  const last = verifier.lastChecked.seq;
  const beyond = checkpoints.find((checkpoint) => checkpoint.seq > last);
  // A slice (an export from some row on) may end before later checkpoints; the whole chain may not.
  if (beyond && !options.fromFirstRow) {
    verifier.fail({ seq: beyond.seq, reason: `a checkpoint signed row ${beyond.seq}, which is missing` });
  }
  return { ...verifier.result(), checkpoints_checked: checkpointsChecked };
}

async function* storedEntries(db: Queryable, schema: string, upTo: number): AsyncIterable<AuditEntry> {
  let after = 0;
  while (after < upTo) {
    const batch = await auditEntriesAfter(db, schema, after, VERIFY_BATCH);
    for (const entry of batch) if (entry.seq <= upTo) yield entry;
    if (batch.length < VERIFY_BATCH) return;
    after = batch[batch.length - 1].seq;
  }
}

/** Verifies a service's whole audit trail up to its head, with the checkpoints and keys it keeps. */
export async function verifyAuditLog(db: Queryable, schema: string): Promise<VerificationResult> {
  // Checkpoints first: each signs a head the chain had reached, so none can be past the head read next.
  // Rows committed after that are past it too, and left for the next verification.
  const [checkpoints, keys] = await Promise.all([auditCheckpoints(db, schema), auditPublicKeys(db, schema)]);
  const head = await auditHead(db, schema);
  const publicKeys = new Map(keys.map((key) => [key.key_id, key.public_key]));
  return verifyEntries(storedEntries(db, schema, head.seq), checkpoints, publicKeys, { head });
}

type ExportLine = { entry: AuditEntry } | { checkpoint: AuditCheckpoint } | { unreadable: string };

async function* exportLines(path: string): AsyncGenerator<ExportLine> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      yield { unreadable: `line ${number} is not JSON` };
      continue;
    }
    const record = parsed as { checkpoint?: AuditCheckpoint; seq?: unknown; hash?: unknown };
    if (record.checkpoint) yield { checkpoint: record.checkpoint };
    else if (typeof record.seq === 'number' && typeof record.hash === 'string') yield { entry: parsed as AuditEntry };
    else yield { unreadable: `line ${number} is neither an audit row nor a checkpoint` };
  }
}

/**
 * Verifies an export (JSON lines, as entries/export writes them) with no database: its rows from the
 * first one on, and, given the public keys they were signed with (PEM), the checkpoints among them.
 */
export async function verifyExport(path: string, publicKeyPems: string[] = []): Promise<VerificationResult> {
  const checkpoints: AuditCheckpoint[] = [];
  for await (const line of exportLines(path)) if ('checkpoint' in line) checkpoints.push(line.checkpoint);
  const publicKeys =
    publicKeyPems.length === 0 ? null : new Map(publicKeyPems.map((pem) => [keyIdOf(createPublicKey(pem)), pem]));
  let unreadable: BrokenRow | null = null;
  let lastSeq = 0;
  async function* entries(): AsyncGenerator<AuditEntry> {
    for await (const line of exportLines(path)) {
      if ('unreadable' in line) {
        unreadable = { seq: lastSeq + 1, reason: line.unreadable };
        return;
      }
      if ('entry' in line) {
        lastSeq = line.entry.seq;
        yield line.entry;
      }
    }
  }
  const result = await verifyEntries(entries(), checkpoints, publicKeys, { fromFirstRow: true });
  return unreadable && result.valid ? { ...result, valid: false, first_broken: unreadable } : result;
}
