#!/usr/bin/env node
// `npm start`: build when dist/ is missing or older than the sources, then run the demo.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'demo', 'cli.js');

function newest(dir) {
  let t = 0;
  if (!fs.existsSync(dir)) return t;
  if (!fs.statSync(dir).isDirectory()) return fs.statSync(dir).mtimeMs;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

// What the build reads (examples/ is read by the demo at run time, not built).
const inputs = ['lib', 'nodes', 'devnet', 'demo', 'schemas', 'icons', 'scripts/build-steps', 'package.json', 'tsconfig.json'];
const sources = Math.max(...inputs.map((p) => newest(path.join(root, p))));
if (!fs.existsSync(entry) || fs.statSync(entry).mtimeMs < sources) {
  console.log('Building…');
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit', cwd: root });
  } catch {
    console.error('npm start: the build failed (errors above)');
    process.exit(1);
  }
}
require(entry);
