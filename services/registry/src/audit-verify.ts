import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyAuditLog, verifyExport, VerificationResult } from '@logbook/audit';
import { createLogger, runMain } from '@logbook/platform';
import { REGISTRY_SCHEMA } from '../migrations/001_initial';
import { loadRegistryConfig } from './config';
import { openRegistryStore } from './registry.runtime';

async function verifyLive(): Promise<VerificationResult> {
  const { db, close } = await openRegistryStore(loadRegistryConfig(), createLogger('registry-audit-verify'));
  try {
    return await verifyAuditLog(db, REGISTRY_SCHEMA);
  } finally {
    await close();
  }
}

/**
 * `npm run audit:verify`: recomputes the registry's audit chain in its database (the service's
 * configuration) and checks its signed checkpoints; `-- --file export.jsonl [--public-key key.pem]...`
 * verifies an export instead, with no database. Prints the result as JSON; exits 1 naming the first broken
 * row when the trail is not intact.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { file: { type: 'string' }, 'public-key': { type: 'string', multiple: true } },
  });
  const publicKeys = (values['public-key'] ?? []).map((path) => readFileSync(path, 'utf8'));
  const result = values.file ? await verifyExport(values.file, publicKeys) : await verifyLive();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.first_broken) {
    process.stderr.write(`audit trail broken at row ${result.first_broken.seq}: ${result.first_broken.reason}\n`);
  }
  process.exitCode = result.valid ? 0 : 1;
}

runMain(main);
