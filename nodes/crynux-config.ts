/**
 * crynux-config: one Crynux network + application wallet. Owns the single CrynuxClient of
 * that wallet (one nonce queue, one block watcher, SPEC §3.10) that every step node uses.
 */
import { CrynuxClient } from '../lib/client';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/client-types';
import {
  carryOverFor,
  contextStore,
  forgetCarryOver,
  migrateConfig,
  redact,
  registerSecret,
  type CrynuxConfigNode,
  type Node,
  type NodeAPI,
  type NodeDef,
} from './shared';
import { checkPrivateKey, parseConfigSettings, walletAddress, type ConfigSettings } from './crynux-config.options';
import { registerWalletEndpoints } from './crynux-config.admin';

type ConfigNode = Node & { -readonly [K in keyof CrynuxConfigNode]: CrynuxConfigNode[K] };

export = function (RED: NodeAPI) {
  function CrynuxConfig(this: ConfigNode, def: NodeDef & ConfigSettings) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = migrateConfig('crynux-config', def);
    const logger: Logger = {
      debug: (m) => node.debug(redact(m)),
      info: (m) => node.log(redact(m)),
      warn: (m) => node.warn(redact(m)),
      error: (m) => node.error(redact(m)),
    };
    let client: CrynuxClient | undefined;
    let starting: Promise<CrynuxClient> | undefined;
    let forget = (): void => undefined;
    node.address = undefined;
    node.problem = undefined;
    node.lowBalanceWei = 0n;

    try {
      const key = checkPrivateKey(node.credentials?.privateKey);
      forget = registerSecret(key);
      node.address = walletAddress(key);
      const parsed = parseConfigSettings(settings);
      node.lowBalanceWei = parsed.lowBalanceWei;
      // Mirrored in memory so a redeploy without a configured context store keeps in-flight tasks.
      const store = contextStore(node.context(), parsed.store, 'crynux:', carryOverFor(node.id));
      client = new CrynuxClient({ ...parsed.client, privateKey: key, store, logger });
    } catch (err) {
      // A key pasted into another field would come back in that field's message: scrub it.
      const message = redact((err as Error).message);
      node.problem = err instanceof ConfigError && message === err.message ? err : new ConfigError(message);
      node.error(node.problem.message);
    }

    node.getClient = () => {
      if (node.problem || !client) return Promise.reject(node.problem ?? new ConfigError('The Crynux config is not usable'));
      if (!starting) {
        const c = client;
        const p = c.start().then(() => c);
        // A failed start (RPC down, wrong chain) is retried by the next caller.
        p.catch(() => {
          if (starting === p) starting = undefined;
        });
        starting = p;
      }
      return starting;
    };

    // Start at deploy: the chain id is checked early and pending tasks resume (crash safety).
    if (client) node.getClient().catch((err: Error) => node.warn(redact(err.message)));

    node.on('close', async (removed: boolean, done: () => void) => {
      try {
        if (removed) forgetCarryOver(node.id);
        await client?.close();
      } catch (err) {
        node.warn(redact((err as Error).message));
      } finally {
        forget();
        done();
      }
    });
  }

  RED.nodes.registerType('crynux-config', CrynuxConfig, { credentials: { privateKey: { type: 'password' } } });

  registerWalletEndpoints(RED);
};
