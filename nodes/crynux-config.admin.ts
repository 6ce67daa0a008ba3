/**
 * crynux-config's admin endpoints: the wallet address and balance for the editor dialog.
 * Guarded by RED.auth.needsPermission; they never return (or echo) the private key.
 */
import { ZeroAddress, formatEther } from 'ethers';
import { CrynuxClient } from '../lib/client';
import { redact, registerSecret, type AdminResponse, type CrynuxConfigNode, type NodeAPI } from './shared';
import { checkPrivateKey, parseConfigSettings, walletAddress, type ConfigSettings } from './crynux-config.options';

/** Admin requests must answer even when an RPC hangs. */
const ADMIN_TIMEOUT_MS = 10_000;
/** What the editor's password field holds for a stored, unchanged credential. */
const STORED_PASSWORD = '__PWRD__';

export function registerWalletEndpoints(RED: NodeAPI): void {
  // Wallet address + balance for the editor. Never returns (or echoes) the key.
  RED.httpAdmin.get('/crynux-config/:id/wallet', RED.auth.needsPermission('crynux-config.read'), (req, res) => {
    const node = RED.nodes.getNode(req.params.id) as CrynuxConfigNode | null;
    if (!node || node.type !== 'crynux-config') {
      res.status(404).json({ error: RED._('crynux-config.admin.notDeployed') });
      return;
    }
    if (node.problem) {
      res.status(400).json({ error: node.problem.message });
      return;
    }
    void answer(res, node.address, node.lowBalanceWei, () => node.getClient().then((c) => c.getBalance()));
  });

  // The same for unsaved dialog values; an unchanged key field means "the stored key of :id".
  RED.httpAdmin.post('/crynux-config/wallet', RED.auth.needsPermission('crynux-config.write'), (req, res) => {
    const body = (req.body ?? {}) as ConfigSettings & { id?: string; privateKey?: string };
    let key = typeof body.privateKey === 'string' && body.privateKey !== STORED_PASSWORD ? body.privateKey : '';
    if (!key && typeof body.id === 'string') key = RED.nodes.getCredentials?.(body.id)?.privateKey ?? '';
    let address: string;
    let parsed: ReturnType<typeof parseConfigSettings>;
    try {
      address = walletAddress(key);
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
      return;
    }
    const forget = registerSecret(checkPrivateKey(key));
    try {
      // The balance needs no contract: a dialog without the Task address yet still shows it.
      parsed = parseConfigSettings({ ...body, taskAddress: String(body.taskAddress ?? '').trim() || ZeroAddress });
    } catch (err) {
      // Scrub before forgetting the key: it may have been pasted into another field.
      const error = redact((err as Error).message);
      forget();
      res.json({ address, error });
      return;
    }
    void answer(res, address, parsed.lowBalanceWei, async () => {
      const temp = new CrynuxClient({ ...parsed.client, privateKey: key, requestTimeoutMs: 5000 });
      try {
        await temp.start();
        return await temp.getBalance();
      } finally {
        await temp.close();
      }
    }).finally(forget);
  });

  async function answer(
    res: AdminResponse,
    address: string | undefined,
    lowBalanceWei: bigint,
    balanceOf: () => Promise<bigint>,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new Error(RED._('crynux-config.admin.timeout'))), ADMIN_TIMEOUT_MS);
      });
      const balance = await Promise.race([balanceOf(), timeout]);
      res.json({ address, balance: balance.toString(), balanceCnx: formatEther(balance), low: balance < lowBalanceWei });
    } catch (err) {
      res.json({ address, error: redact(err instanceof Error ? err.message : String(err)) });
    } finally {
      clearTimeout(timer);
    }
  }
}
