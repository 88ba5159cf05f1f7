// StrykerJS over the checker (`npm run mutation`; README "Mutation testing"): mutants of the
// actors and of the hardware's teardown and translation code, judged by the hunt suite
// (test/hunt/*.hunt.ts: small deterministic runs that must come out clean). The sandbox's
// sources are instrumented once (mutation switching), rebuilt with tsc, and the hunt runs on dist.
// Scope and why: docs/mutation-triage.md.
export default {
  packageManager: 'npm',
  testRunner: 'mocha',
  mochaOptions: { 'no-config': true, spec: ['dist/test/hunt/sequences.hunt.js', 'dist/test/hunt/limits.hunt.js', 'dist/test/hunt/scenarios.hunt.js', 'dist/test/hunt/tables.hunt.js'] },
  buildCommand: 'npx tsc -p tsconfig.json',
  // Mutants break types; every mutated file gets @ts-nocheck so tsc still emits.
  disableTypeChecks: '{actors,hardware}/**/*.ts',
  // The default scope: the hardware's teardown and translation tables (PASID entries, IOTLB
  // invalidation, IO page tables, KVM's vPASID table), what a full run covers within the time a
  // loaded 2-core machine gives it. The actors, the work queues and the engine's translate loop
  // are the extended scope, run in parts with `-- --mutate` (docs/mutation-triage.md#scope).
  mutate: ['hardware/pasid-table.ts', 'hardware/invalidation.ts', 'hardware/pgtable.ts', 'hardware/kvm.ts'],
  ignorePatterns: ['dist', 'reports', 'bench/results.json', '.stryker-tmp'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // The machine is shared: a loaded core runs the instrumented hunt several times slower.
  dryRunTimeoutMinutes: 20,
  timeoutMS: 60000,
  timeoutFactor: 2,
  reporters: ['html', 'json', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // A repeated run re-tests only the mutants whose code or covering tests changed (--force: all).
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
};
