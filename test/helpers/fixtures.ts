/**
 * The vendors' sample bodies in `local/fixtures/<vendor>/<name>.json` (copied from the vendors' docs),
 * loaded once per call so a test can mutate what it gets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type VendorName, vendorNames } from '../../functions/vendors/envelope.js';

export interface Fixture {
  readonly vendor: VendorName;
  /** File name without `.json`, which is the event type (`interview_ended`, `applicant.updated`, …). */
  readonly name: string;
  readonly path: string;
  /** The parsed JSON (a fresh copy on every load). */
  readonly body: unknown;
  /** The file's text, for tests about bytes (signatures). */
  readonly raw: string;
}

/** Repository root: this file lives in `<root>/test/helpers/`. */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const fixturesDir = join(repoRoot, 'local', 'fixtures');

function readFixture(vendor: VendorName, file: string): Fixture {
  const path = join(fixturesDir, vendor, file);
  const raw = readFileSync(path, 'utf8');
  return { vendor, name: file.replace(/\.json$/, ''), path, body: JSON.parse(raw), raw };
}

/** Every fixture of every vendor, sorted by vendor then name. */
export function loadFixtures(): Fixture[] {
  return vendorNames.flatMap((vendor) =>
    readdirSync(join(fixturesDir, vendor))
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => readFixture(vendor, file)),
  );
}

/** One fixture by vendor and name (`fixture('round0', 'interview_ended')`); throws when it does not exist. */
export function fixture(vendor: VendorName, name: string): Fixture {
  return readFixture(vendor, `${name}.json`);
}
