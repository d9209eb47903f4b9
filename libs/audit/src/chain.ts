import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** The previous hash of the first row: a chain starts from nothing. */
export const GENESIS_HASH = '0'.repeat(64);

/** Who made a change, as the audit trail keeps it. */
export interface AuditActor {
  id: string;
  name: string;
  kind: string;
  auth_method: string;
}

/** One row of an audit trail as it is answered, exported and hashed: everything but its two hashes is its content. */
export interface AuditEntry {
  seq: number;
  /** When the change committed, ISO 8601 with milliseconds. */
  recorded_at: string;
  event_id: string;
  event_type: string;
  stream_type: string;
  stream_id: string;
  /** What the change is about: a name (a model's, a user's) and, for a model version, its number. */
  target: { name: string | null; version: number | null };
  actor: AuditActor;
  request_id: string | null;
  client: { address: string | null; user_agent: string | null };
  /** The stream's state before and after the event. */
  before: unknown;
  after: unknown;
  /** The policy decision that allowed the change, where one was taken. */
  decision: unknown;
  prev_hash: string;
  hash: string;
}

export type AuditContent = Omit<AuditEntry, 'prev_hash' | 'hash'>;

/** sha256(previous hash || canonical JSON of the row's content), in hex. */
export function entryHash(prevHash: string, content: AuditContent): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(content)).digest('hex');
}

/** Chains contents onto a head: each gets the next sequence number and the hash of the one before. */
export function chainEntries(head: { seq: number; hash: string }, contents: Omit<AuditContent, 'seq'>[]): AuditEntry[] {
  let { seq, hash } = head;
  return contents.map((content) => {
    const entry = { ...content, seq: seq + 1 };
    const prevHash = hash;
    seq = entry.seq;
    hash = entryHash(prevHash, entry);
    return { ...entry, prev_hash: prevHash, hash };
  });
}

export interface BrokenRow {
  seq: number;
  reason: string;
}

/** Walks a chain in order and remembers where it first breaks. */
export class ChainVerifier {
  private last: { seq: number; hash: string };
  private checked = 0;
  private broken: BrokenRow | null = null;

  /** `from`: the row before the first one to be checked (the genesis by default). */
  constructor(from: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }) {
    this.last = from;
  }

  /** Checks the next row; false once the chain is broken. */
  check(entry: AuditEntry): boolean {
    if (this.broken) return false;
    this.checked++;
    this.broken = this.problemWith(entry);
    this.last = { seq: entry.seq, hash: entry.hash };
    return this.broken === null;
  }

  /** The head the chain should end at: rows after the last one checked were removed when it does not. */
  checkEnd(head: { seq: number; hash: string }): void {
    if (this.broken || (head.seq === this.last.seq && head.hash === this.last.hash)) return;
    this.broken =
      head.seq > this.last.seq
        ? { seq: this.last.seq + 1, reason: `rows ${this.last.seq + 1} to ${head.seq} are missing` }
        : { seq: head.seq, reason: `the chain's recorded head (seq ${head.seq}) does not match its last row` };
  }

  /** Marks a row broken for a reason found outside the chain (a checkpoint). */
  fail(row: BrokenRow): void {
    this.broken ??= row;
  }

  get lastChecked(): { seq: number; hash: string } {
    return this.last;
  }

  result(): { valid: boolean; rows_checked: number; first_broken: BrokenRow | null } {
    return { valid: this.broken === null, rows_checked: this.checked, first_broken: this.broken };
  }

  private problemWith(entry: AuditEntry): BrokenRow | null {
    const { seq } = entry;
    if (seq !== this.last.seq + 1) {
      return {
        seq,
        reason:
          seq > this.last.seq + 1
            ? `rows ${this.last.seq + 1} to ${seq - 1} are missing before it`
            : `out of order after row ${this.last.seq}`,
      };
    }
    if (entry.prev_hash !== this.last.hash)
      return { seq, reason: 'its prev_hash is not the hash of the row before it' };
    const { prev_hash, hash, ...content } = entry;
    let recomputed: string;
    try {
      recomputed = entryHash(prev_hash, content);
    } catch (error) {
      return { seq, reason: `its content cannot be hashed: ${(error as Error).message}` };
    }
    if (recomputed !== hash) return { seq, reason: 'its content does not match its hash (the row was altered)' };
    return null;
  }
}
