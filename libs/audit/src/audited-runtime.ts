import { Database, Logger, ReadinessCheck, ServiceConfig, statusReadiness } from '@logbook/platform';
import { AuditCheckpointer } from './checkpoints';
import { AuditExportSubscription, startAuditExport } from './audit-export';
import { AuditSettings, startAuditCheckpoints } from './audit-settings';
import { VerificationResult, verifyAuditLog } from './verify';

/** What a started service keeps an audit trail on: its database and log, its health checks, its shutdown. */
interface ServiceParts {
  db: Database;
  store: { onAppended(listener: () => void): void };
  readinessChecks: ReadinessCheck[];
  close(): Promise<void>;
}

/** A service's audit trail running beside it, and what it adds to the service's health and shutdown. */
export interface AuditTrailParts {
  /** Signs the audit trail's head every configured interval. */
  auditCheckpointer: AuditCheckpointer;
  /** Publishes the audit trail on Kafka as CloudEvents (distributed shape). */
  auditExport?: AuditExportSubscription;
  readinessChecks: ReadinessCheck[];
  /** Stops the export and the checkpoints, then the service. */
  close(): Promise<void>;
}

/**
 * Starts the signed checkpoints of a started service's audit chain, and its CloudEvents export in the
 * distributed shape. A service that cannot sign its trail does not run: it is closed and the error thrown.
 */
export async function startAuditTrail(
  service: ServiceParts,
  config: ServiceConfig & { audit: AuditSettings },
  chain: { service: string; schema: string },
  logger: Logger,
): Promise<AuditTrailParts> {
  let auditCheckpointer: AuditCheckpointer;
  try {
    auditCheckpointer = await startAuditCheckpoints(service.db, chain.schema, config.audit, logger);
  } catch (error) {
    await service.close();
    throw error;
  }
  const auditExport = startAuditExport(service, config, chain, logger);
  return {
    auditCheckpointer,
    auditExport,
    readinessChecks: [
      ...service.readinessChecks,
      ...(auditExport ? [statusReadiness('audit-export', () => auditExport.status(), 'degrades')] : []),
    ],
    async close() {
      await auditExport?.stop();
      await auditCheckpointer.stop();
      await service.close();
    },
  };
}

/** Recomputes the audit chain of a service's database, opened for it, and checks its signed checkpoints. */
export async function verifyAuditOf(
  opened: { db: Database; close(): Promise<void> },
  schema: string,
): Promise<VerificationResult> {
  try {
    return await verifyAuditLog(opened.db, schema);
  } finally {
    await opened.close();
  }
}
