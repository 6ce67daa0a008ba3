#!/usr/bin/env node
// Build: type-check and emit everything with tsc, then copy the files the Node-RED
// runtime expects beside each node's .js (editor .html, locales, icons).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// CRYNUX_DIST builds elsewhere (parallel work on one checkout); CRYNUX_BUILD_LENIENT keeps
// going past type errors in files you are not working on. CI uses neither.
const dist = path.resolve(process.env.CRYNUX_DIST || path.join(root, 'dist'));

fs.rmSync(dist, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root, '--outDir', dist], { stdio: 'inherit' });
} catch (err) {
  if (!process.env.CRYNUX_BUILD_LENIENT) process.exit(1);
  console.error('build: type errors above (lenient mode, continuing)');
}

function copyDir(from, to, filter) {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(src, dst, filter);
    else if (!filter || filter(entry.name)) fs.copyFileSync(src, dst);
  }
}

copyDir(path.join(root, 'nodes'), path.join(dist, 'nodes'), (n) => !n.endsWith('.ts'));
copyDir(path.join(root, 'icons'), path.join(dist, 'nodes', 'icons'));

// Optional build steps contributed by other parts of the project (e.g. the devnet
// contract compile). Each exports a function run after tsc.
const stepsDir = path.join(root, 'scripts', 'build-steps');
if (fs.existsSync(stepsDir)) {
  for (const f of fs.readdirSync(stepsDir).filter((n) => n.endsWith('.js')).sort()) {
    require(path.join(stepsDir, f))({ root, dist });
  }
}
