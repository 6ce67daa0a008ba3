/**
 * Child-process probe for runtime.test.ts: starts a real Node-RED (not the test helper) with
 * the pack installed in a temporary user dir, and prints what the runtime made of it as one
 * JSON line. A separate process because Node-RED is a singleton the test helper also uses.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const DIST = path.resolve(__dirname, '..', '..');
const PKG_NAME = '@crynux-red/node-red-crynux';

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'nodes'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

function request(port: number, p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  const root = repoRoot();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-rt-'));
  try {
    // A package folder that looks installed: package.json + the built dist + dependencies.
    const pkg = path.join(tmp, 'pkg');
    fs.mkdirSync(pkg);
    fs.copyFileSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
    fs.symlinkSync(DIST, path.join(pkg, 'dist'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
    const scope = path.join(tmp, 'user', 'node_modules', '@crynux-red');
    fs.mkdirSync(scope, { recursive: true });
    fs.symlinkSync(pkg, path.join(scope, 'node-red-crynux'));

    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const RED = require(path.join(root, 'node_modules', 'node-red'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const express = require(path.join(root, 'node_modules', 'express'));
    const app = express();
    const server = http.createServer(app);
    RED.init(server, {
      userDir: path.join(tmp, 'user'),
      httpAdminRoot: '/',
      logging: { console: { level: 'off' } },
      credentialSecret: 'probe',
      editorTheme: { projects: { enabled: false } },
      // With adminAuth the permission guards of the admin endpoints are live.
      adminAuth: { type: 'credentials', users: [{ username: 'a', password: '$2b$08$wuAqPiKJlVN27eF5qJp.RuQYuy6ZYONW7a/UWYxDTtwKFCdB8F19y', permissions: '*' }] },
    });
    app.use('/', RED.httpAdmin);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    await RED.start();
    const port = (server.address() as { port: number }).port;

    const out: Record<string, unknown> = {};
    // /nodes needs a token under adminAuth; read the registry through the runtime API instead.
    const list = (await RED.runtime.nodes.getNodeList({})) as { module: string; name: string; types: string[]; err?: unknown }[];
    out.nodes = list.filter((n) => n.module === PKG_NAME).map((n) => ({ name: n.name, types: n.types, err: n.err ? String(n.err) : undefined }));
    const icons: Record<string, number> = {};
    for (const f of fs.readdirSync(path.join(DIST, 'nodes', 'icons'))) {
      icons[f] = (await request(port, `/icons/${PKG_NAME}/${f}`)).status;
    }
    out.icons = icons;
    out.walletEndpointWithoutToken = (await request(port, '/crynux-config/x/wallet')).status;

    await RED.nodes.setFlows(
      [
        { id: 't', type: 'tab' },
        // x/y: without them the runtime would take it for a config node.
        { id: 'c', z: 't', x: 160, y: 60, type: 'crynux-create-task', crynux: '', fee: '1', version: 1, wires: [] },
      ],
      {},
      'full',
    );
    let node = RED.nodes.getNode('c');
    for (let i = 0; i < 100 && !node; i++) {
      await new Promise((r) => setTimeout(r, 20));
      node = RED.nodes.getNode('c');
    }
    const statuses: unknown[] = [];
    const original = node.status.bind(node);
    node.status = (s: unknown) => {
      statuses.push(s);
      original(s);
    };
    node.receive({ crynux: {} });
    for (let i = 0; i < 100 && statuses.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    out.status = [...statuses];
    await RED.stop();
    server.close();
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(String(err?.stack ?? err));
    process.exit(1);
  },
);
