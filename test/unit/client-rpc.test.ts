/**
 * RpcTransport failover against real JSON-RPC servers on 127.0.0.1: outages move to the
 * next URL and stay there, answers (even errors) do not, and every URL's chain id is checked.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { displayUrl, RpcAnswerError, RpcTransport } from '../../lib/chain/rpc';
import { FailoverJsonRpcProvider } from '../../lib/chain/provider';
import { ChainConnectionError, ConfigError } from '../../lib/errors';

interface FakeNode {
  url: string;
  hits: number;
  mode: 'ok' | 'hang' | 'html503' | 'revert';
  /** Hash of block 0, when this node serves it. */
  genesis?: string;
  close(): Promise<void>;
}

async function fakeNode(chainId: number, block = 42): Promise<FakeNode> {
  const open = new Set<http.ServerResponse>();
  const node: FakeNode = {
    url: '', hits: 0, mode: 'ok',
    close: () => new Promise((resolve) => {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      node.hits++;
      const call = JSON.parse(Buffer.concat(chunks).toString()) as { id: number; method: string; params?: unknown[] };
      if (node.mode === 'hang') return void open.add(res);
      if (node.mode === 'html503') return void res.writeHead(503).end('<html>Service Unavailable</html>');
      const reply = (body: object) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: call.id, ...body }));
      if (call.method === 'eth_chainId') return reply({ result: `0x${chainId.toString(16)}` });
      if (call.method === 'eth_getBlockByNumber' && call.params?.[0] === '0x0') {
        return reply(node.genesis ? { result: { number: '0x0', hash: node.genesis } } : { error: { code: -32000, message: 'header not found' } });
      }
      if (node.mode === 'revert') return reply({ error: { code: 3, message: 'execution reverted', data: '0x' } });
      return reply({ result: `0x${block.toString(16)}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return node;
}

describe('RpcTransport', () => {
  const nodes: FakeNode[] = [];
  const start = async (chainId: number, block?: number) => {
    const n = await fakeNode(chainId, block);
    nodes.push(n);
    return n;
  };
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });

  it('moves to the next URL on an outage and stays on the healthy one', async () => {
    const a = await start(10000, 1);
    const b = await start(10000, 2);
    a.mode = 'html503';
    const rpc = new RpcTransport({ urls: [a.url, b.url], chainId: 10000 });
    const switched: string[] = [];
    rpc.on('failover', (e: { url: string }) => switched.push(e.url));
    assert.equal(await rpc.request('eth_blockNumber'), '0x2');
    a.mode = 'ok';
    const hitsOnA = a.hits;
    assert.equal(await rpc.request('eth_blockNumber'), '0x2');
    assert.equal(a.hits, hitsOnA, 'the failed URL is not tried first again');
    assert.deepEqual(switched, [b.url]);
    assert.equal(rpc.url, b.url);
  });

  it('treats a URL that does not answer in time as down', async () => {
    const a = await start(10000, 1);
    const b = await start(10000, 2);
    const rpc = new RpcTransport({ urls: [a.url, b.url], chainId: 10000, timeoutMs: 100 });
    await rpc.connect();
    a.mode = 'hang';
    assert.equal(await rpc.request('eth_blockNumber'), '0x2');
  });

  it('does not fail over on a JSON-RPC error answer', async () => {
    const a = await start(10000);
    const b = await start(10000);
    a.mode = 'revert';
    const rpc = new RpcTransport({ urls: [a.url, b.url] });
    await assert.rejects(rpc.request('eth_call', [{}]), (err: unknown) => err instanceof RpcAnswerError && err.rpcCode === 3 && err.code === 'CHAIN_RPC' &&
      err.message === 'The RPC node refused eth_call: execution reverted' && err.rpcMessage === 'execution reverted');
    assert.equal(b.hits, 0);
  });

  it('checks each URL\'s chain id before its first use', async () => {
    const a = await start(10000);
    const b = await start(5);
    a.mode = 'html503';
    const rpc = new RpcTransport({ urls: [a.url, b.url], chainId: 10000 });
    await assert.rejects(rpc.request('eth_blockNumber'), (err: unknown) =>
      err instanceof ConfigError && err.message === `RPC ${b.url} is chain 5, expected 10000`);
  });

  it('checks each URL\'s genesis block too: the same chain id on a reset chain or a fork is another chain', async () => {
    const a = await start(10000);
    const b = await start(10000);
    a.genesis = `0x${'aa'.repeat(32)}`;
    b.genesis = `0x${'bb'.repeat(32)}`;
    const rpc = new RpcTransport({ urls: [a.url, b.url], chainId: 10000 });
    await rpc.connect();
    assert.equal(rpc.genesisHash, a.genesis);
    a.mode = 'html503';
    await assert.rejects(rpc.request('eth_blockNumber'), (err: unknown) =>
      err instanceof ConfigError &&
      err.message === `RPC ${b.url} serves another chain with chain id 10000 (genesis block ${b.genesis}, expected ${a.genesis})`);
  });

  it('an endpoint that comes back from an outage as another chain (a devnet restarted on its port) is refused', async () => {
    const a = await start(10000, 3);
    a.genesis = `0x${'aa'.repeat(32)}`;
    const rpc = new RpcTransport({ urls: [a.url], chainId: 10000 });
    assert.equal(await rpc.request('eth_blockNumber'), '0x3');
    a.mode = 'html503';
    await assert.rejects(rpc.request('eth_blockNumber'), ChainConnectionError);
    a.mode = 'ok';
    a.genesis = `0x${'cc'.repeat(32)}`;
    await assert.rejects(rpc.request('eth_blockNumber'), (err: unknown) =>
      err instanceof ConfigError && err.message === `RPC ${a.url} serves another chain with chain id 10000 (genesis block ${a.genesis}, expected 0x${'aa'.repeat(32)})`);
    a.genesis = `0x${'aa'.repeat(32)}`;
    assert.equal(await rpc.request('eth_blockNumber'), '0x3', 'the same chain back: used again');
  });

  it('an endpoint that does not serve block 0 is used on its chain id alone', async () => {
    const a = await start(10000, 7);
    const b = await start(10000, 8);
    b.genesis = `0x${'bb'.repeat(32)}`;
    const rpc = new RpcTransport({ urls: [a.url, b.url] });
    assert.equal(await rpc.connect(), 10000);
    assert.equal(rpc.genesisHash, undefined, 'unknown, not guessed');
    a.mode = 'html503';
    assert.equal(await rpc.request('eth_blockNumber'), '0x8', 'the spare is accepted');
    assert.equal(rpc.genesisHash, b.genesis, 'and its genesis becomes the expectation');
  });

  it('reports every URL when none answers, then recovers', async () => {
    const a = await start(10000);
    a.mode = 'html503';
    const rpc = new RpcTransport({ urls: [a.url] });
    const events: string[] = [];
    rpc.on('down', () => events.push('down'));
    rpc.on('up', () => events.push('up'));
    await assert.rejects(rpc.request('eth_blockNumber'), (err: unknown) =>
      err instanceof ChainConnectionError && err.message.includes(`${a.url}: HTTP 503`));
    assert.match(rpc.lastError ?? '', /HTTP 503/);
    a.mode = 'ok';
    await rpc.request('eth_blockNumber');
    assert.deepEqual(events, ['down', 'up']);
    assert.equal(rpc.lastError, undefined);
  });

  it('rejects bad URL lists with a ConfigError naming the entry', () => {
    assert.throws(() => new RpcTransport({ urls: [] }), ConfigError);
    assert.throws(() => new RpcTransport({ urls: ['http://ok', 'ws://x'] }), /rpcUrls\[1\] must use http or https/);
    assert.throws(() => new RpcTransport({ urls: ['not a url'] }), /rpcUrls\[0\] is not a valid URL/);
  });

  it('masks credentials and key-like path segments in displayed URLs', () => {
    assert.equal(displayUrl('https://user:pw@rpc.example.com/v3/0123456789abcdef0123456789abcdef?apikey=zz'), 'https://rpc.example.com/v3/0123…');
    assert.equal(displayUrl('http://127.0.0.1:8545/'), 'http://127.0.0.1:8545');
  });

  it('serves an ethers JsonRpcProvider with the same failover', async () => {
    const a = await start(10000, 1);
    const b = await start(10000, 7);
    a.mode = 'html503';
    const provider = new FailoverJsonRpcProvider(new RpcTransport({ urls: [a.url, b.url] }), 10000);
    try {
      assert.equal(await provider.getBlockNumber(), 7);
    } finally {
      provider.destroy();
    }
  });
});
