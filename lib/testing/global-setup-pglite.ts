import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openMigratedPglite } from '../db/client';

/**
 * One embedded database migrated for this run; each PGlite test file starts from a copy of it
 * (setup-pglite.ts) rather than creating and migrating its own, which took most of a file's time.
 */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portal-test-template-'));
  const client = await openMigratedPglite(path.join(dataDir, 'pglite'));
  await client.close();
  project.provide('pgliteTemplate', dataDir);
  return () => rmSync(dataDir, { recursive: true, force: true });
}
