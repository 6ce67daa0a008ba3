/**
 * `npm run devnet` smoke test: the CLI prints its endpoints, serves /v1/now, and on SIGINT
 * exits and takes anvil down with it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve(__dirname, '..', '..', 'devnet', 'cli.js');

describe('devnet: CLI (npm run devnet)', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('prints RPC URL, chain id, addresses, relay URL and the labelled key; SIGINT stops it and anvil', async () => {
    child = spawn(process.execPath, [CLI, '--rpc-port', '0', '--relay-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    child.stderr!.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d) => {
        out += String(d);
        if (out.includes('Press Ctrl-C to stop.')) resolve();
      });
      exited.then(() => reject(new Error(`devnet CLI exited early:\n${out}`)));
    });
    const field = (label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(out)?.[1];
    const relayUrl = field('Relay URL')!;
    const rpcUrl = field('RPC URL')!;
    assert.match(relayUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(field('Chain id'), '10000');
    assert.match(field('Task contract')!, /^0x[0-9a-fA-F]{40}$/);
    assert.match(out, /Application key:\s+0x[0-9a-f]{64}\s+devnet-only key — never use on a real network/);

    const now = (await (await fetch(`${relayUrl}/v1/now`)).json()) as { message: string; data: { now: unknown } };
    assert.equal(now.message, 'success');
    assert.equal(typeof now.data.now, 'number');

    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /devnet: stopped/);
    // anvil (a child of the CLI) is gone: its port refuses connections.
    await assert.rejects(fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' }));
  });
});
