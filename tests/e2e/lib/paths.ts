import path from 'node:path';

/** The repository root (tests/e2e/lib → ../../..). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const cohortBin =
  process.env.COHORT_BIN ?? path.join(repoRoot, 'build', 'release', 'src', 'app', 'cohort');
export const consoleDir = process.env.COHORT_CONSOLE_DIR ?? path.join(repoRoot, 'web', 'dist');
/** Kept by CI as artefacts; build/ is git-ignored. */
export const artefactsDir = path.join(repoRoot, 'build', 'e2e');
export const screenshotsDir = path.join(artefactsDir, 'screenshots');
export const integrationSipp = path.join(repoRoot, 'tests', 'integration', 'sipp');
export const e2eSipp = path.resolve(__dirname, '..', 'sipp');
export const logsDir = path.join(artefactsDir, 'logs');
