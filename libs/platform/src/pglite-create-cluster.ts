/**
 * Creates a new PGlite cluster in the folder given as the only argument, then exits. Run as a child process by
 * PgliteDatabase.open: initdb inside PGlite starts a second Postgres in memory beside the one being built, and
 * a process keeps most of the memory that took (WebAssembly memory never shrinks), so the serving process only
 * ever opens a cluster that exists.
 */
async function createCluster(dataDir: string): Promise<void> {
  const { PGlite } = (await dynamicImport('@electric-sql/pglite')) as typeof import('@electric-sql/pglite');
  const { NodeFS } = (await dynamicImport('@electric-sql/pglite/nodefs')) as {
    NodeFS: new (dataDir: string) => NonNullable<import('@electric-sql/pglite').PGliteOptions['fs']>;
  };
  const db = new PGlite({ fs: new NodeFS(dataDir) });
  await db.waitReady;
  await db.close();
}

// TypeScript compiles `import()` to `require()` under CommonJS; this keeps a real dynamic import.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

createCluster(process.argv[2]).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
