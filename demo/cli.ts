#!/usr/bin/env node
/**
 * `npm start`: the devnet plus a Node-RED editor with the example flows deployed and a
 * config node holding the devnet's funded key. Ctrl-C stops everything it started.
 */
import { startDemo } from './index';

async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  console.log('Starting the Crynux devnet and Node-RED…');
  const demo = await startDemo({ log: verbose ? (l) => console.log(`[node-red] ${l}`) : undefined });
  let stopping = false;
  const shutdown = () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nStopping Node-RED and the devnet…');
    demo.stop().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  console.log(
    [
      '',
      `Node-RED editor:  ${demo.editorUrl}`,
      `Devnet RPC:       ${demo.devnet.rpcUrl}   relay: ${demo.devnet.relayUrl}`,
      `Task contract:    ${demo.devnet.taskAddress}`,
      '',
      'Open the editor, then press the inject button of the image example: the images appear under',
      'the fetch-result node and in the debug sidebar. The GPT example answers in the debug sidebar.',
      'The wallet is a devnet-only key. Press Ctrl-C to stop.',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
