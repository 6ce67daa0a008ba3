/**
 * Plumbing for the packaging tests: the build folder under test, the scorecard script, and
 * `npm pack` of the package as it would be published.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/shared';

const run = promisify(execFile);

/** The build folder this test runs from (dist/, or a CRYNUX_DIST folder). */
export const DIST = path.resolve(__dirname, '..', '..');

export const PKG = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  main: string;
  types?: string;
  'node-red': { nodes: Record<string, string> };
};

/** The seven node types issue 8 names; package.json must register exactly these. */
export const NODE_TYPES = [
  'crynux-config',
  'crynux-wallet',
  'crynux-build-task',
  'crynux-create-task',
  'crynux-upload-params',
  'crynux-await-result',
  'crynux-fetch-result',
];

export interface ScorecardResult {
  id: string;
  title: string;
  ok: boolean;
  detail: string;
}

interface EditorDefinitions {
  defs: Record<string, { props: Record<string, string | number | boolean>; problems: string[] }>;
  problems: string[];
}

export const scorecard = require(path.join(REPO_ROOT, 'scripts', 'scorecard.js')) as {
  runScorecard(root: string, options?: { dist?: string }): ScorecardResult[];
  editorDefinitions(html: string): EditorDefinitions;
};

/** The icon file name a node's editor definition asks for (read from a built .html). */
export function iconOf(type: string, nodesDir = path.join(DIST, 'nodes')): string {
  const html = fs.readFileSync(path.join(nodesDir, `${type}.html`), 'utf8');
  const icon = scorecard.editorDefinitions(html).defs[type]?.props.icon;
  return typeof icon === 'string' ? icon : '';
}

export async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}: ${e.stderr || e.message}`);
  }
}

const SKIP_WHEN_STAGING = new Set(['node_modules', '.git', '.devnet', '.node-red-demo', 'coverage', 'test-artifacts']);

/**
 * A folder to `npm pack`: the repository itself when the build is its own dist/ (CI), else a
 * copy of the repository with this build as dist/ (parallel builds into CRYNUX_DIST).
 * The copy keeps test/, bench/ etc. so that "nothing from test/" is checked for real.
 */
export function packSource(): { dir: string; cleanup(): void } {
  const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  if (real(DIST) === real(path.join(REPO_ROOT, 'dist'))) {
    return { dir: REPO_ROOT, cleanup: () => undefined };
  }
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-pack-src-'));
  fs.cpSync(REPO_ROOT, stage, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(REPO_ROOT, src);
      if (rel === 'dist') return false;
      return !rel.split(path.sep).some((part) => SKIP_WHEN_STAGING.has(part));
    },
  });
  fs.cpSync(DIST, path.join(stage, 'dist'), { recursive: true });
  return { dir: stage, cleanup: () => fs.rmSync(stage, { recursive: true, force: true }) };
}

export interface PackEntry {
  path: string;
  size: number;
}

/** `npm pack --dry-run --json`: the files the published tarball would hold. */
export async function packContents(dir: string): Promise<PackEntry[]> {
  const out = JSON.parse(await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], dir)) as Array<{ files: PackEntry[] }>;
  return out[0].files;
}

/** `npm pack` into `dest`; returns the tarball's path. */
export async function packTarball(dir: string, dest: string): Promise<string> {
  const out = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dest], dir)) as Array<{ filename: string }>;
  return path.join(dest, out[0].filename);
}
