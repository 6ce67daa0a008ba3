/**
 * Access to ../shared/protocol (the spec's vectors and upstream reference data). It exists
 * on developer machines and in CI but not in a user's clone, so conformance suites call
 * `describeWithShared` and skip cleanly when it is absent.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Repository root, from dist/test/helpers or test/helpers. */
export const REPO_ROOT = (() => {
  // dist/test/helpers normally; a build elsewhere (CRYNUX_DIST) falls back to the cwd.
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    if (path.dirname(dir) === dir) return process.cwd();
    dir = path.dirname(dir);
  }
  return dir;
})();

export const SHARED_PROTOCOL_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'protocol');
export const HAS_SHARED = fs.existsSync(path.join(SHARED_PROTOCOL_DIR, 'vectors.json'));

export function readShared<T = unknown>(relative: string): T {
  return JSON.parse(fs.readFileSync(path.join(SHARED_PROTOCOL_DIR, relative), 'utf8')) as T;
}

/** `describe` when ../shared/protocol is present, otherwise a skipped suite that says why. */
export function describeWithShared(title: string, fn: (this: Mocha.Suite) => void): void {
  if (HAS_SHARED) describe(title, fn);
  // Mocha still runs a skipped suite's body to collect its tests, and the body reads ../shared:
  // register a pending test instead, so the report says what was skipped and why.
  else describe(title, () => it(`skipped: ../shared/protocol not found at ${SHARED_PROTOCOL_DIR}`));
}
