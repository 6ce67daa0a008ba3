#!/usr/bin/env node
/**
 * `npm run devnet`: starts a local Crynux network and prints how to reach it. Ctrl-C or
 * SIGTERM stops everything, anvil included.
 *
 * Options: --workers N, --block-time S, --timeout S (task deadline), --lag MS (relay lag),
 * --chain-id N, --queue-limit N, --rpc-port N (default 8545), --relay-port N (default 8080; 0 = a free
 * port), --verbose.
 */
import { startDevnet, type StartDevnetOptions } from './index';

function parseArgs(argv: string[]): StartDevnetOptions & { verbose: boolean } {
  // The config node's "local devnet" preset expects these ports; 0 picks free ones.
  const out: StartDevnetOptions & { verbose: boolean } = { verbose: false, rpcPort: 8545, relayPort: 8080 };
  const numeric: Record<string, keyof StartDevnetOptions> = {
    '--workers': 'workers',
    '--block-time': 'blockTime',
    '--timeout': 'taskTimeoutSeconds',
    '--lag': 'relayLagMs',
    '--chain-id': 'chainId',
    '--queue-limit': 'queueSizeLimit',
    '--rpc-port': 'rpcPort',
    '--relay-port': 'relayPort',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--verbose') out.verbose = true;
    else if (a in numeric) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number, got ${argv[i] ?? 'nothing'}`);
      (out as unknown as Record<string, number>)[numeric[a]] = v;
    } else throw new Error(`unknown option ${a} (known: ${[...Object.keys(numeric), '--verbose'].join(', ')})`);
  }
  return out;
}

async function main(): Promise<void> {
  const { verbose, ...options } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const devnet = await startDevnet({ ...options, log: verbose ? (line) => console.log(line) : undefined });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      console.log('devnet: forced exit');
      process.exit(1);
    }
    stopping = true;
    console.log(`\ndevnet: ${signal} received, stopping…`);
    devnet.stop().then(
      () => {
        console.log('devnet: stopped');
        process.exit(0);
      },
      (err) => {
        console.error('devnet: error while stopping:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const lines = [
    `Crynux devnet running (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  RPC URL:           ${devnet.rpcUrl}`,
    `  Chain id:          ${devnet.chainId}`,
    `  Task contract:     ${devnet.taskAddress}`,
    `  Node contract:     ${devnet.nodeAddress}`,
    `  TaskQueue:         ${devnet.taskQueueAddress}`,
    `  Relay URL:         ${devnet.relayUrl}`,
    `  GPU workers:       ${devnet.workerAddresses.length}${devnet.workerAddresses.length ? ` (${devnet.workerAddresses.join(', ')})` : ''}`,
    `  Application key:   ${devnet.appPrivateKey}`,
    `                     devnet-only key — never use on a real network`,
    `  Application address: ${devnet.appAddress}`,
    '',
    'Press Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(`devnet: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
