/**
 * examples/image-generation.json on a devnet: a click on the inject node ends in two PNG
 * files on disk (one message per image from fetch-result, named by a change node).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { NETWORK_PRESETS } from '../../nodes/crynux-config.options';
import { waitUntil } from '../nodes/node-helpers';
import { DEVNET_TASK_ADDRESS, clickInject, deploy, errorsOf, importForDevnet, useDevnet } from './example-flows';

describe('example: image generation (devnet)', function () {
  this.timeout(60_000);
  // The example writes relative file names, resolved against Node-RED's fileWorkingDirectory.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-example-image-'));
  const devnet = useDevnet({}, { fileWorkingDirectory: workDir });
  after(() => fs.rmSync(workDir, { recursive: true, force: true }));

  it('a fresh devnet deploys its contracts at the addresses the examples and the devnet preset carry', () => {
    assert.equal(devnet().taskAddress, DEVNET_TASK_ADDRESS);
    assert.equal(NETWORK_PRESETS.devnet.taskAddress, devnet().taskAddress);
    assert.equal(NETWORK_PRESETS.devnet.taskQueueAddress, devnet().taskQueueAddress);
  });

  it('writes two 512×512 PNG files; nothing is aborted or failed', async () => {
    const ex = importForDevnet('image-generation.json', devnet());
    await deploy(ex);
    clickInject(ex, 'prompt');
    await waitUntil(() => ex.seen['image written'].length === 2 || errorsOf(ex).length > 0, 50_000, 'two images');
    assert.deepEqual(errorsOf(ex), []);
    assert.equal(ex.seen.aborted.length, 0);
    const taskId = ex.seen['image written'][0].crynux.taskId;
    const names = ex.seen['image written'].map((m) => m.filename).sort();
    assert.deepEqual(names, [`crynux-${taskId}-0.png`, `crynux-${taskId}-1.png`]);
    for (const name of names) {
      const png = PNG.sync.read(fs.readFileSync(path.join(workDir, name)));
      assert.deepEqual([png.width, png.height], [512, 512]);
    }
  });
});
