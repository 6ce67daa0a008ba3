import assert from 'node:assert/strict';
import { complaintsAbout } from '../helpers/node-red';

// How the install test reads a runtime log: what counts as a complaint about our nodes.
describe('runtime log complaints', () => {
  const startup = [
    '25 Nov 08:02:16 - [info] Node-RED version: v5.0.7',
    '25 Nov 08:02:17 - [warn] Projects disabled : editorTheme.projects.enabled=false',
    '25 Nov 08:02:17 - [warn] Encrypted credentials not found',
    '25 Nov 08:02:17 - [info] Started flows',
  ];

  it('ignores a clean start with the runtime\'s own warnings', () => {
    assert.deepEqual(complaintsAbout(startup.join('\n'), ['crynux']), []);
  });

  it('reports a node set that failed to load', () => {
    const log = [
      ...startup,
      '25 Nov 08:02:17 - [warn] ------------------------------------------------------',
      "25 Nov 08:02:17 - [warn] [@crynux-red/node-red-crynux/crynux-wallet] Error: Cannot find module './shared'",
      '25 Nov 08:02:17 - [warn] ------------------------------------------------------',
    ].join('\n');
    assert.deepEqual(complaintsAbout(log, ['crynux']), ["25 Nov 08:02:17 - [warn] [@crynux-red/node-red-crynux/crynux-wallet] Error: Cannot find module './shared'"]);
  });

  it('reports errors and warnings of our nodes at run time', () => {
    const log = [...startup, '25 Nov 08:02:18 - [error] [crynux-create-task:a1b2] relay refused the task', '25 Nov 08:02:18 - [warn] [crynux-Wallet:w] low balance'].join('\n');
    assert.equal(complaintsAbout(log, ['crynux']).length, 2);
  });

  it('reports process warnings (deprecations) whoever caused them', () => {
    const log = [...startup, '(node:4242) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.'].join('\n');
    assert.equal(complaintsAbout(log, ['crynux']).length, 1);
  });

  it('ignores info lines that mention our nodes', () => {
    assert.deepEqual(complaintsAbout([...startup, '25 Nov 08:02:18 - [info] [crynux-wallet:w] 0x12… 100 CNX'].join('\n'), ['crynux']), []);
  });
});
