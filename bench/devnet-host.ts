/**
 * Child-process entry of the benchmarks: runs a devnet (anvil, relay, workers) in its own
 * process, so the client measured in the parent gets its own CPU and event loop, and
 * watches the chain at a high rate to time-stamp each terminal Task event.
 *
 * It also runs the blind-download baseline on request, so that baseline's CPU (a signature
 * per request) is not counted as the measured client's.
 *
 * argv[2]: JSON HostOptions. IPC out: {type:'ready'|'event'|'blind'|'error', …}.
 * IPC in: {cmd:'stop'} and {cmd:'blind', taskId, cap, everyMs}. The devnet also stops when
 * the parent goes away.
 */
import { startDevnet, type Devnet } from '../devnet';
import { blockNumber, getLogs } from '../devnet/relay/rpc';
import { decodeTaskLog, TASK_EVENT_TOPICS } from '../lib/protocol';
import { blindDownload, RawApp } from './raw-app';
import { startCountingProxy, startHttpCounter, type CountingProxy, type HttpCounter } from './rpc-proxy';
import { sleep, wallMs } from './stats';
import type { HostCommand, HostMessage, HostOptions, ObservedEvent } from './devnet-child';

const WATCHED = [TASK_EVENT_TOPICS.TaskSuccess, TASK_EVENT_TOPICS.TaskAborted, TASK_EVENT_TOPICS.TaskResultUploaded];

function send(m: HostMessage): void {
  process.send?.(m);
}

/**
 * Polls eth_blockNumber every `everyMs`. A block first seen by the request received at
 * `by` was not there when the previous request was sent (`after`): it was mined in between.
 */
async function observe(net: Devnet, everyMs: number, stopped: () => boolean): Promise<void> {
  let last = await blockNumber(net.rpcUrl);
  let prevSent = wallMs();
  while (!stopped()) {
    const sent = wallMs();
    let head: number;
    try {
      head = await blockNumber(net.rpcUrl);
    } catch {
      if (stopped()) return;
      throw new Error('observer: the devnet RPC stopped answering');
    }
    const by = wallMs();
    if (head > last) {
      const logs = await getLogs(net.rpcUrl, { address: net.taskAddress, topics: [WATCHED] }, last + 1, head);
      for (const l of logs) {
        const ev = decodeTaskLog({ address: l.address, topics: l.topics, data: l.data }, net.taskAddress);
        if (!ev || (ev.name !== 'TaskSuccess' && ev.name !== 'TaskAborted' && ev.name !== 'TaskResultUploaded')) continue;
        const e: ObservedEvent = { name: ev.name, taskId: ev.taskId.toString(), blockNumber: Number(l.blockNumber), after: prevSent, by };
        send({ type: 'event', event: e });
      }
      last = head;
    }
    prevSent = sent;
    await sleep(everyMs);
  }
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as HostOptions;
  const net = await startDevnet({
    workers: opts.workers,
    queueSizeLimit: opts.queueSizeLimit,
    blockTime: opts.blockTime,
    taskTimeoutSeconds: opts.taskTimeoutSeconds,
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await proxies?.rpc.close();
    await proxies?.relay.close();
    await net.stop().catch(() => undefined);
    process.exit(code);
  };
  const app = new RawApp(net.rpcUrl, net.relayUrl, net.taskAddress, net.appPrivateKey, { indexedEventsOnly: true });
  let proxies: { rpc: CountingProxy; relay: HttpCounter } | undefined;
  process.on('message', async (m: HostCommand) => {
    if (m?.cmd === 'stop') void stop(0);
    else if (m?.cmd === 'proxies') {
      proxies ??= { rpc: await startCountingProxy(net.rpcUrl), relay: await startHttpCounter(net.relayUrl) };
      send({ type: 'proxies', rpcUrl: proxies.rpc.url, relayUrl: proxies.relay.url });
    } else if (m?.cmd === 'counts') {
      send({ type: 'counts', rpc: proxies?.rpc.snapshot() ?? {}, relay: proxies?.relay.snapshot() ?? {} });
      if (m.reset) {
        proxies?.rpc.reset();
        proxies?.relay.reset();
      }
    }
    else if (m?.cmd === 'blind') {
      blindDownload(app, BigInt(m.taskId), m.cap, { everyMs: m.everyMs }).then(
        (r) => send({ type: 'blind', taskId: m.taskId, doneAt: wallMs(), requests: r.requests }),
        (err: Error) => send({ type: 'blind', taskId: m.taskId, doneAt: wallMs(), requests: 0, error: err.message }),
      );
    }
  });
  process.on('disconnect', () => void stop(0));
  send({
    type: 'ready',
    info: {
      rpcUrl: net.rpcUrl, chainId: net.chainId, taskAddress: net.taskAddress, taskQueueAddress: net.taskQueueAddress,
      relayUrl: net.relayUrl, appPrivateKey: net.appPrivateKey, appAddress: net.appAddress, spareKeys: net.spareKeys,
      workers: net.workerAddresses.length, pid: process.pid,
    },
  });
  if (opts.observeMs) {
    observe(net, opts.observeMs, () => stopping).catch((err: Error) => {
      send({ type: 'error', message: err.message });
      void stop(1);
    });
  }
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
