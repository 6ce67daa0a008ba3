// Build step: compile the devnet contracts (devnet/contracts/*.sol) with solc-js 0.8.24,
// optimizer on, evmVersion paris (SPEC §3.1), into <dist>/devnet/artifacts/<Name>.json
// ({ contractName, abi, bytecode }). solc-js is slow to load, so the output is cached by a
// hash of the compiler version, settings and sources (node_modules/.cache); the result is
// the same bytes either way.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const CONTRACTS = ['Node', 'TaskQueue', 'Task'];
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'paris',
  // No metadata hash: the bytecode then depends on the code only, not on comments or paths.
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
};

module.exports = function compileContracts({ root, dist }) {
  const srcDir = path.join(root, 'devnet', 'contracts');
  if (!fs.existsSync(srcDir)) return;
  const sources = {};
  for (const f of fs.readdirSync(srcDir).filter((n) => n.endsWith('.sol')).sort()) {
    sources[f] = { content: fs.readFileSync(path.join(srcDir, f), 'utf8') };
  }
  const solcVersion = require('solc/package.json').version;
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify({ solcVersion, SETTINGS, sources }))
    .digest('hex')
    .slice(0, 16);
  const cacheDir = path.join(root, 'node_modules', '.cache', 'crynux-devnet-contracts', key);
  const outDir = path.join(dist, 'devnet', 'artifacts');

  let artifacts;
  try {
    artifacts = Object.fromEntries(CONTRACTS.map((c) => [c, fs.readFileSync(path.join(cacheDir, `${c}.json`), 'utf8')]));
  } catch {
    artifacts = undefined; // not cached (or another build is replacing the cache): compile
  }
  if (!artifacts) {
    const solc = require('solc');
    const input = { language: 'Solidity', sources, settings: SETTINGS };
    const output = JSON.parse(solc.compile(JSON.stringify(input)));
    const errors = (output.errors || []).filter((e) => e.severity === 'error');
    for (const e of output.errors || []) console.error(e.formattedMessage || e.message);
    if (errors.length > 0) throw new Error(`devnet contracts failed to compile (${errors.length} error(s))`);
    artifacts = {};
    for (const name of CONTRACTS) {
      const unit = output.contracts[`${name}.sol`] && output.contracts[`${name}.sol`][name];
      if (!unit) throw new Error(`devnet contract ${name} missing from the solc output`);
      artifacts[name] = `${JSON.stringify({ contractName: name, abi: unit.abi, bytecode: `0x${unit.evm.bytecode.object}` }, null, 1)}\n`;
    }
    try {
      // keep only the newest compile in the cache
      fs.rmSync(path.dirname(cacheDir), { recursive: true, force: true });
      fs.mkdirSync(cacheDir, { recursive: true });
      for (const name of CONTRACTS) fs.writeFileSync(path.join(cacheDir, `${name}.json`), artifacts[name]);
    } catch {
      // a read-only node_modules only costs speed
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of CONTRACTS) fs.writeFileSync(path.join(outDir, `${name}.json`), artifacts[name]);
};
