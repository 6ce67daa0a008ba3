/**
 * The preview's worker thread in the published package: its script is started by path
 * (new Worker), not required, so the "modules the nodes require" walk of pack.test.ts does not
 * reach it. Here: the script the pool starts is in the tarball, with every module it requires.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PREVIEW_THREAD_SCRIPT } from '../../nodes/crynux-fetch-result.preview-worker';
import { DIST, packContents, packSource } from './package-helpers';

describe('npm pack contents: the preview thread', function () {
  this.timeout(120_000);

  it('holds the thread script the pool starts and the modules it requires', async () => {
    const script = `dist/${path.relative(DIST, PREVIEW_THREAD_SCRIPT).split(path.sep).join('/')}`;
    assert.equal(script, 'dist/nodes/crynux-fetch-result.preview-thread.js');
    const src = packSource();
    try {
      const files = new Set((await packContents(src.dir)).map((e) => e.path.split(path.sep).join('/')));
      const missing: string[] = [];
      const seen = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        if (!files.has(file)) return void missing.push(file);
        for (const m of fs.readFileSync(path.join(src.dir, file), 'utf8').matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]));
          visit(/\.(js|json)$/.test(target) ? target : `${target}.js`);
        }
      };
      visit(script);
      assert.deepEqual(missing, []);
      assert.ok(seen.has('dist/nodes/crynux-fetch-result.thumbnail.js'), 'the walk reached the downscaler');
    } finally {
      src.cleanup();
    }
  });
});
