/**
 * CrynuxClient options: every bad value is a ConfigError naming the field, and the private
 * key never shows up in errors, inspection or health.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CrynuxClient } from '../../lib/client';
import { ChainConnectionError, ConfigError } from '../../lib/errors';
import type { CrynuxClientOptions } from '../../lib/client-types';

const KEY = 'ab'.repeat(32);
const base: CrynuxClientOptions = {
  rpcUrls: ['http://127.0.0.1:1'],
  taskAddress: '0x07E149A0e372C2F54Df6358d021d700703D222D1',
  relayUrl: 'http://127.0.0.1:2',
  privateKey: KEY,
};

describe('CrynuxClient options', () => {
  const cases: Array<[string, Partial<CrynuxClientOptions>, RegExp]> = [
    ['no RPC URL', { rpcUrls: [] }, /rpcUrls must list/],
    ['a websocket RPC URL', { rpcUrls: ['ws://x'] }, /rpcUrls\[0\] must use http/],
    ['a bad Task address', { taskAddress: '0x1234' }, /taskAddress must be/],
    ['a bad TaskQueue address', { taskQueueAddress: 'queue' }, /taskQueueAddress must be/],
    ['a bad relay URL', { relayUrl: 'relay' }, /relayUrl is not a valid URL/],
    ['a bad gas price', { gasPrice: 'fast' as 'auto' }, /gasPrice must be 'auto' or a whole number of wei/],
    ['a bad gas limit', { gasLimit: -1n }, /gasLimit must be 'estimate'/],
    ['fractional confirmations', { confirmations: 1.5 }, /confirmations must be a whole number/],
    ['a tiny poll interval', { pollIntervalMs: 1 }, /pollIntervalMs must be a number ≥ 10/],
    ['a zero log range', { maxLogRange: 0 }, /maxLogRange must be a number ≥ 1/],
    ['a wrong chain id', { chainId: -5 }, /chainId must be a positive integer/],
  ];
  for (const [name, patch, message] of cases) {
    it(`refuses ${name}`, () => {
      assert.throws(() => new CrynuxClient({ ...base, ...patch }), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }

  it('refuses a malformed key without echoing it', () => {
    const bad = 'zz' + KEY.slice(2);
    assert.throws(() => new CrynuxClient({ ...base, privateKey: bad }), (err: unknown) =>
      err instanceof ConfigError && /privateKey/.test(err.message) && !err.message.includes(bad));
  });

  it('accepts the key with or without 0x and never exposes it', async () => {
    const a = new CrynuxClient(base);
    const b = new CrynuxClient({ ...base, privateKey: `0x${KEY}` });
    assert.equal(a.address, b.address);
    for (const text of [inspect(a, { depth: 6, showHidden: true }), JSON.stringify(a.health())]) {
      assert.ok(!text.toLowerCase().includes(KEY), 'the key is not visible');
    }
    await a.close();
    await b.close();
  });

  it('fails start() with ChainConnectionError when the RPC is down, shows it in health, and can retry', async () => {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const { id } = JSON.parse(body) as { id: number };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result: '0x2710' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new CrynuxClient({ ...base, rpcUrls: [url] });
    const seen: Array<string | undefined> = [];
    client.on('health', (h: { lastError?: string }) => seen.push(h.lastError));
    try {
      await assert.rejects(client.start(), ChainConnectionError);
      assert.match(client.health().lastError ?? '', /ECONNREFUSED/);
      assert.ok(seen.some((e) => e && /ECONNREFUSED/.test(e)));
      await new Promise<void>((resolve) => server.listen(Number(new URL(url).port), '127.0.0.1', resolve));
      await client.start();
      assert.equal(client.health().lastError, undefined);
    } finally {
      await client.close();
      server.close();
    }
    await assert.rejects(client.start(), { code: 'CLOSED' });
  });
});
