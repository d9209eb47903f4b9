import { Inject, Injectable } from '@nestjs/common';
import { CommandMetadata, notFound } from '@logbook/platform';
import { ArtifactRecords } from '../artifact-records';
import { Owners } from '../owners/owners';
import { ARTIFACT_STORAGE } from '../shared/tokens';
import { ArtifactStorage } from '../storage/artifact-storage';
import { discrepancies, listTree } from './reconciliation';

export interface ReconciliationReport {
  root: string;
  /** Stored but not recorded, now recorded. */
  recorded: string[];
  /** Recorded but no longer stored, now recorded as deleted. */
  deleted: string[];
  /** Stored but not recorded, under a deleted run or model: only reported. */
  unrecordable: string[];
}

/** Makes the index of recorded artifacts agree with the store (`npm run reconcile`). */
@Injectable()
export class ReconciliationService {
  constructor(
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
    private readonly owners: Owners,
    private readonly records: ArtifactRecords,
  ) {}

  /** Roots of every run and logged model that is not purged: what a reconciliation walks. */
  ownedRoots(): Promise<string[]> {
    return this.owners.ownedRoots();
  }

  /**
   * Makes the index agree with the store under one root. An object stored but never recorded (its
   * upload failed between storing and recording, and the client gave up) is read, hashed and recorded;
   * a recorded object the store no longer has is recorded as deleted. A deleted run's unrecorded
   * objects are only reported: nothing may be recorded into it, and its purge removes them.
   */
  async reconcile(root: string, metadata: CommandMetadata, { dryRun = false } = {}): Promise<ReconciliationReport> {
    const owner = await this.owners.withRoot(root);
    if (!owner) throw notFound(`No run or logged model has the artifact root '${root}'`);
    const { unrecorded, vanished } = discrepancies(
      await listTree(this.storage, root),
      await this.records.recordedUnder(root),
    );
    const report: ReconciliationReport = { root, recorded: [], deleted: vanished, unrecordable: [] };
    if (!owner.active) report.unrecordable = unrecorded.map((object) => object.path);
    else report.recorded = unrecorded.map((object) => object.path);
    if (dryRun) return report;
    for (const path of report.recorded) {
      const measured = await this.records.measure(path);
      if (!measured) continue;
      await this.records.recordStored(
        owner,
        path,
        { ...measured, contentType: null },
        metadata,
        await this.records.modelIn(path),
      );
    }
    if (vanished.length > 0) await this.records.recordDeleted(root, vanished, metadata);
    return report;
  }
}
