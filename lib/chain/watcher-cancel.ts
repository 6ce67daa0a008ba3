/**
 * cancelOnTimeout (SPEC §3.9): a wait that timed out asks for the task to be cancelled so the
 * creator gets the refund. A running task can only be cancelled strictly after its deadline
 * (a queued one at any time), so the watcher retries on every poll until `cancelIfDue` stops
 * answering 'not-due'. Meanwhile the waiters stay parked in `cancelWaiters` and a real
 * outcome, should one arrive first, still wins.
 */
import type { CrynuxError } from '../errors';
import type { Logger } from '../client-types';
import type { Entry } from './watcher-entry';
import { timeoutOutcome } from './watcher-waits';
import type { CancelResult } from './watcher-types';

/** Starts one cancel per task that needs it; runs beside the loop, never holding up a poll. */
export function startCancels(
  entries: Iterable<Entry>,
  cancelIfDue: ((taskId: bigint) => Promise<CancelResult>) | undefined,
  logger: Logger | undefined,
): void {
  for (const e of entries) {
    if (e.cancelWaiters.size === 0 || e.cancelling || !cancelIfDue) continue;
    if (e.outcome) {
      // Settled while no cancel was in flight (e.g. it failed on an outage): the event decides.
      for (const w of [...e.cancelWaiters]) w.ok(e.outcome);
      continue;
    }
    e.cancelling = true;
    cancelIfDue(e.id).then(
      (r) => {
        if (r.kind === 'not-due') return;
        // 'gone': the task already finished; its event decides if the logs have shown it yet.
        const outcome = r.kind === 'cancelled'
          ? timeoutOutcome(e.id, { cancelTxHash: r.txHash, blockNumber: r.blockNumber })
          : e.outcome ?? timeoutOutcome(e.id);
        for (const w of [...e.cancelWaiters]) w.ok(outcome);
      },
      (err: Error) => {
        const code = (err as CrynuxError).code;
        if (code === 'CHAIN_CONNECTION' || code === 'CHAIN_RPC') return; // try again next poll
        logger?.warn(`cancelTask(${e.id}) after timeout failed: ${err.message}`);
        for (const w of [...e.cancelWaiters]) w.ok(timeoutOutcome(e.id));
      },
    ).finally(() => {
      e.cancelling = false;
    });
  }
}
