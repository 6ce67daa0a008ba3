import assert from 'node:assert/strict';
import { helper } from '../nodes/node-helpers';
import { nodeRedDir, nodeRedPath, nodeRedVersion } from '../helpers/node-red';

// The Node-RED 5 job sets CRYNUX_NODE_RED_DIR; the node and e2e tests must then really load
// that Node-RED, not the devDependency, or the job proves nothing.
describe(`the Node-RED under test (${nodeRedVersion()})`, () => {
  it('is the one the node test helper runs', () => {
    const running = String(helper._RED.version()).replace(/-git$/, '');
    assert.equal(running, nodeRedVersion(), `helper runs ${running}; ${nodeRedDir()} holds ${nodeRedVersion()}`);
  });

  it('resolves to a module inside its folder', () => {
    assert.ok(nodeRedPath().startsWith(nodeRedDir()), `${nodeRedPath()} is inside ${nodeRedDir()}`);
  });
});
