/**
 * Local chain for the devnet: anvil from the @foundry-rs/anvil npm package, configured like
 * the 2024 network where it matters (chain id 10000, SPEC §1.3) and so that the legacy
 * (type 0) gas-priced transactions of the 2024 clients are accepted (`--base-fee 0`,
 * SPEC §8 item 29).
 *
 * anvil is started with `--port 0` and the port is read from its "Listening on" line, so
 * nothing can race for a port. It runs under a tiny `sh` watchdog that kills it when our
 * stdin closes, which also happens when this process dies without running exit handlers.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface StartAnvilOptions {
  /** TCP port on 127.0.0.1; default 0 (a free one, read back from anvil). */
  port?: number;
  /** Chain id; 10000 like the 2024 rollapp (SPEC §1.3). */
  chainId?: number;
  /** Interval mining in seconds; undefined = automine only. */
  blockTime?: number;
  /** With blockTime: automine *and* interval blocks, so confirmations advance while idle. */
  mixedMining?: boolean;
  /** Receives anvil's output lines (it logs every RPC method). */
  log?: (line: string) => void;
  /** How long to wait for anvil to listen; default 20 s. */
  startTimeoutMs?: number;
}

export interface AnvilHandle {
  rpcUrl: string;
  chainId: number;
  port: number;
  /** Kills anvil; resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
};

/** Path of the anvil binary shipped in the platform package (ANVIL_BIN overrides). */
export function anvilBinaryPath(): string {
  if (process.env.ANVIL_BIN) return process.env.ANVIL_BIN;
  const key = `${process.platform}-${process.arch}`;
  const pkg = PLATFORM_PACKAGES[key];
  if (!pkg) throw new Error(`anvil: no @foundry-rs/anvil binary package for platform ${key}`);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new Error(`anvil: package ${pkg} is not installed (it is an optional dependency of @foundry-rs/anvil)`);
  }
  const bin = path.join(path.dirname(pkgJson), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  if (!fs.existsSync(bin)) throw new Error(`anvil: binary missing at ${bin}`);
  return bin;
}

// Runs anvil in the background, reports its pid, and kills it when stdin reaches EOF
// (stop() or our death) or when the wrapper itself is signalled.
const WATCHDOG = [
  '"$0" "$@" & c=$!',
  'echo "anvil-pid $c"',
  "trap 'kill $c 2>/dev/null; wait $c; exit 0' TERM INT HUP",
  'cat >/dev/null',
  'kill $c 2>/dev/null',
  'wait $c',
].join('\n');

const live = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGTERM');
      } catch {
        // already gone
      }
    }
  });
}

/** Genesis timestamp of the last chain this process started (see startAnvil). */
let lastGenesisTimestamp = 0;

export async function startAnvil(opts: StartAnvilOptions = {}): Promise<AnvilHandle> {
  const chainId = opts.chainId ?? 10000;
  // Every devnet has the same chain id and contract addresses; only its genesis block tells
  // one from the next (clients scope saved state to its hash). The hash covers the genesis
  // timestamp, so two chains started in the same second would look alike: never reuse one.
  const genesisTimestamp = Math.max(Math.floor(Date.now() / 1000), lastGenesisTimestamp + 1);
  lastGenesisTimestamp = genesisTimestamp;
  const args = ['--host', '127.0.0.1', '--port', String(opts.port ?? 0), '--chain-id', String(chainId), '--base-fee', '0', '--timestamp', String(genesisTimestamp)];
  if (opts.blockTime !== undefined) {
    if (!(opts.blockTime > 0)) throw new Error(`startAnvil: blockTime must be a positive number of seconds, got ${opts.blockTime}`);
    args.push('--block-time', String(opts.blockTime));
    if (opts.mixedMining) args.push('--mixed-mining');
  } else if (opts.mixedMining) {
    throw new Error('startAnvil: mixedMining needs blockTime');
  }
  const bin = anvilBinaryPath();
  const child: ChildProcessWithoutNullStreams =
    process.platform === 'win32'
      ? spawn(bin, args, { stdio: 'pipe' })
      : spawn('/bin/sh', ['-c', WATCHDOG, bin, ...args], { stdio: 'pipe', detached: true });
  live.add(child);
  installExitHook();

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => live.delete(child));
  let anvilPid: number | undefined;
  const recent: string[] = [];

  const port = await new Promise<number>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, p?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(p!);
    };
    const timer = setTimeout(
      () => finish(new Error(`anvil did not start listening within ${opts.startTimeoutMs ?? 20000} ms: ${recent.join(' | ')}`)),
      opts.startTimeoutMs ?? 20000,
    );
    const onLine = (line: string) => {
      const pidMatch = /^anvil-pid (\d+)$/.exec(line);
      if (pidMatch) {
        anvilPid = Number(pidMatch[1]);
        return;
      }
      opts.log?.(line);
      recent.push(line);
      if (recent.length > 10) recent.shift();
      const m = /Listening on [^\s:]+:(\d+)/.exec(line);
      if (m) finish(null, Number(m[1]));
      // anvil prints "Error: Address already in use (os error 98)" and exits.
      else if (/address already in use/i.test(line)) {
        finish(new Error(`anvil: port ${opts.port} is in use: stop the other devnet or pass --rpc-port 0 (a free port)`));
      }
    };
    // Both streams are drained for the whole life of anvil so its pipes never fill up.
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', (err) => finish(new Error(`anvil could not be started: ${err.message}`)));
    exited.then(() => finish(new Error(`anvil exited before listening: ${recent.join(' | ')}`)));
  }).catch(async (err) => {
    await killAndWait();
    throw err;
  });

  async function killAndWait(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end(); // watchdog: EOF → kill anvil → wait → exit
    const hard = setTimeout(() => {
      try {
        if (anvilPid) process.kill(anvilPid, 'SIGKILL');
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(hard);
  }

  // A forgotten handle must not keep the process alive; the exit hook and the watchdog
  // still take anvil down with us.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr] as unknown as Array<{ unref?: () => void }>) s.unref?.();

  let stopping: Promise<void> | undefined;
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    chainId,
    port,
    stop: () => (stopping ??= killAndWait()),
  };
}

// ---- JSON-RPC helpers for tests and the devnet (anvil / hardhat-style methods) ----

let rpcId = 0;

/** One JSON-RPC call; throws with the node's error message. */
export async function rpcCall<T = unknown>(rpcUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message?: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message ?? JSON.stringify(body.error)}`);
  return body.result as T;
}

/** Mines `blocks` blocks (default 1). */
export async function mine(rpcUrl: string, blocks = 1): Promise<void> {
  if (!Number.isInteger(blocks) || blocks < 1) throw new Error(`mine: blocks must be a positive integer, got ${blocks}`);
  await rpcCall(rpcUrl, 'anvil_mine', [`0x${blocks.toString(16)}`]);
}

/** Moves chain time forward and mines a block so `block.timestamp` reflects it (SPEC §7.5 recipe). */
export async function increaseTime(rpcUrl: string, seconds: number): Promise<void> {
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`increaseTime: seconds must be a non-negative integer, got ${seconds}`);
  await rpcCall(rpcUrl, 'evm_increaseTime', [seconds]);
  await rpcCall(rpcUrl, 'evm_mine', []);
}

/** Snapshot of the whole chain state; pass the id to `revertTo`. */
export async function snapshot(rpcUrl: string): Promise<string> {
  return rpcCall<string>(rpcUrl, 'evm_snapshot', []);
}

/** Restores a snapshot (it is consumed: take a new one to revert again). */
export async function revertTo(rpcUrl: string, snapshotId: string): Promise<void> {
  const ok = await rpcCall<boolean>(rpcUrl, 'evm_revert', [snapshotId]);
  if (!ok) throw new Error(`revertTo: snapshot ${snapshotId} not found`);
}

/** Replaces the last `depth` blocks with `depth` empty ones (a chain reorganisation). */
export async function reorg(rpcUrl: string, depth: number): Promise<void> {
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`reorg: depth must be a positive integer, got ${depth}`);
  await rpcCall(rpcUrl, 'anvil_reorg', [depth, []]);
}

/** Current block timestamp in seconds. */
export async function latestTimestamp(rpcUrl: string): Promise<number> {
  const block = await rpcCall<{ timestamp: string }>(rpcUrl, 'eth_getBlockByNumber', ['latest', false]);
  return Number(BigInt(block.timestamp));
}
