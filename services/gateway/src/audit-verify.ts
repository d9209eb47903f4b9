import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VerificationResult, verifyExport } from '@logbook/audit';
import { createLogger, runMain } from '@logbook/platform';
import { loadIdentityConfig, verifyIdentityAudit } from '../../identity/src/index';
import { loadRegistryConfig, verifyRegistryAudit } from '../../registry/src/index';

/** The services that keep an audit trail, each verified in its own database with its own configuration. */
const LIVE: Record<string, () => Promise<VerificationResult>> = {
  registry: () => verifyRegistryAudit(loadRegistryConfig(), createLogger('registry-audit-verify')),
  identity: () => verifyIdentityAudit(loadIdentityConfig(), createLogger('identity-audit-verify')),
};

/**
 * `npm run audit:verify [-- --service registry|identity]`: recomputes a service's audit chain in its
 * database (the registry's by default) and checks its signed checkpoints; `-- --file export.jsonl
 * [--public-key key.pem]...` verifies an export of either instead, with no database. Prints the result as
 * JSON; exits 1 naming the first broken row when the trail is not intact.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      service: { type: 'string', default: 'registry' },
      file: { type: 'string' },
      'public-key': { type: 'string', multiple: true },
    },
  });
  const live = LIVE[values.service];
  if (!live) throw new Error(`--service: one of ${Object.keys(LIVE).join(', ')}, not ${values.service}`);
  const publicKeys = (values['public-key'] ?? []).map((path) => readFileSync(path, 'utf8'));
  const result = values.file ? await verifyExport(values.file, publicKeys) : await live();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.first_broken) {
    process.stderr.write(`audit trail broken at row ${result.first_broken.seq}: ${result.first_broken.reason}\n`);
  }
  process.exitCode = result.valid ? 0 : 1;
}

runMain(main);
