/**
 * crynux-wallet: the application wallet's address and balance, on input or on an interval.
 * Output 2 fires while the balance is below the config's threshold, so admins can be told
 * before funds run out.
 */
import { formatEther } from 'ethers';
import { ConfigError } from '../lib/errors';
import {
  MAX_SECONDS,
  Status,
  deploySetting,
  getConfigNode,
  handleInput,
  migrateConfig,
  showConfigProblem,
  type NodeMessage,
  type Node,
  type NodeAPI,
  type NodeDef,
} from './shared';

interface WalletSettings {
  crynux?: string;
  interval?: string | number;
}

/** The interval is a check of a balance, not a busy loop. */
const MIN_INTERVAL_S = 5;

export = function (RED: NodeAPI) {
  function CrynuxWallet(this: Node, def: NodeDef & WalletSettings) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = migrateConfig('crynux-wallet', def);
    const status = new Status(node, RED._);
    let timer: NodeJS.Timeout | undefined;
    // Parsed before showConfigProblem below, so a config problem's ring is the one shown.
    const intervalSetting = deploySetting(() => intervalSeconds(settings.interval), status, node);

    const run = handleInput(node, status, async ({ msg, job }) => {
      intervalSetting();
      const network = getConfigNode(RED, settings.crynux);
      job.working('crynux-wallet.status.checking');
      const client = await network.getClient();
      const balance = await client.getBalance();
      const low = balance < network.lowBalanceWei;
      msg.payload = {
        address: client.address,
        balance: balance.toString(),
        balanceCnx: formatEther(balance),
        threshold: network.lowBalanceWei.toString(),
        thresholdCnx: formatEther(network.lowBalanceWei),
        low,
      };
      job.succeed('crynux-wallet.status.balance', { cnx: shortCnx(balance) });
      if (low) status.show('yellow', 'ring', 'crynux-wallet.status.low', { cnx: shortCnx(balance) });
      return low ? [msg, RED.util.cloneMessage(msg)] : [msg, null];
    });

    showConfigProblem(RED, settings.crynux, status);
    let seconds = 0;
    try {
      seconds = intervalSetting();
    } catch {
      // shown at deploy; every msg fails with it
    }
    if (seconds) {
      timer = setInterval(() => run({ topic: 'interval' } as NodeMessage), seconds * 1000);
      node.on('close', () => clearInterval(timer));
    }
  }

  function intervalSeconds(v: unknown): number {
    if (v === undefined || v === null || v === '' || v === 0 || v === '0') return 0;
    const n = Number(v);
    if (!Number.isFinite(n) || n < MIN_INTERVAL_S || n > MAX_SECONDS) {
      throw new ConfigError(`Setting "interval" must be empty/0 (off) or from ${MIN_INTERVAL_S} to ${MAX_SECONDS} seconds`);
    }
    return n;
  }

  RED.nodes.registerType('crynux-wallet', CrynuxWallet);
};

/** 12.3456 CNX → "12.3456"; enough digits for a status line. */
function shortCnx(wei: bigint): string {
  const [whole, frac = ''] = formatEther(wei).split('.');
  const f = frac.slice(0, 4).replace(/0+$/, '');
  return f ? `${whole}.${f}` : whole;
}
