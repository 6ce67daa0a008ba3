/**
 * The pack in a real Node-RED runtime (not the test helper): every type registers without
 * error, every icon is served, the admin endpoints refuse requests without a token when
 * adminAuth is on, and status texts come out translated (the shared catalog is reachable
 * from every node through its namespace).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';

interface Probe {
  nodes: { name: string; types: string[]; err?: string }[];
  icons: Record<string, number>;
  walletEndpointWithoutToken: number;
  status: { fill?: string; shape?: string; text?: string }[];
}

const MINE = ['crynux-config', 'crynux-wallet', 'crynux-build-task', 'crynux-create-task', 'crynux-upload-params'];

describe('the node pack in a real Node-RED runtime', function () {
  let probe: Probe;

  before(async () => {
    const script = path.join(__dirname, 'runtime-probe.js');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [script], { timeout: 60_000, env: process.env }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
      );
    });
    probe = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Probe;
  });

  it('registers each of our node types without error', () => {
    for (const type of MINE) {
      const entry = probe.nodes.find((n) => n.name === type);
      assert.ok(entry, `${type} is in the registry`);
      assert.deepEqual(entry.types, [type]);
      assert.equal(entry.err, undefined, `${type} loaded without error`);
    }
  });

  it('serves every icon', () => {
    assert.ok(Object.keys(probe.icons).length >= 4);
    for (const [icon, status] of Object.entries(probe.icons)) assert.equal(status, 200, icon);
  });

  it('guards the admin endpoint with a permission', () => {
    assert.equal(probe.walletEndpointWithoutToken, 401);
  });

  it('translates status texts, shared error labels included', () => {
    assert.deepEqual(probe.status, [{ fill: 'red', shape: 'ring', text: 'config: No Crynux network is selected: choose a…' }]);
  });
});
