/**
 * Plumbing for tests that run Crynux nodes against a real devnet: the config node of a
 * devnet, its credentials, tasks created straight through the config node's client, and a
 * watch for unhandled rejections.
 */
import type { CrynuxClient } from '../../lib/client';
import type { BuiltTask } from '../../lib/task-args';
import { CONFIG_ID, helper } from '../nodes/node-helpers';

// The config node fixture lives with the node tests' helpers; re-exported for the devnet tests.
export { CONFIG_ID, configCredentials, configNode } from '../nodes/node-helpers';

/** 0.1 CNX: small next to the devnet wallet's balance, large next to gas. */
export const FEE_WEI = 10n ** 17n;

/** The started client of the loaded config node. */
export function clientOf(id = CONFIG_ID): Promise<CrynuxClient> {
  const cfg = helper.getNode(id) as { getClient(): Promise<CrynuxClient> } | null;
  if (!cfg) throw new Error(`config node ${id} is not loaded`);
  return cfg.getClient();
}

/** createTask + upload through the client; returns msg.crynux as the step nodes would leave it. */
export async function createdTask(client: CrynuxClient, built: BuiltTask, fee = FEE_WEI): Promise<Record<string, unknown>> {
  const created = await client.createTask({ ...built, taskFee: fee });
  const uploaded = await client.uploadTaskArgs(created.taskId, built.taskArgs, { timeoutMs: 30_000 });
  return { ...built, ...created, uploadedAt: uploaded.uploadedAt };
}

/** Collects unhandled rejections while a test runs. */
export function watchUnhandled(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onReject = (reason: unknown) => errors.push(reason);
  process.on('unhandledRejection', onReject);
  return { errors, stop: () => process.off('unhandledRejection', onReject) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
