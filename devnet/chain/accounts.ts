/**
 * The devnet's wallets: anvil's default accounts, derived from the public test mnemonic
 * ("test test … junk", m/44'/60'/0'/0/i). Anvil funds exactly these, so the keys are
 * derived here rather than pasted. They are public test keys: never use them elsewhere.
 */
import { HDNodeWallet } from 'ethers';

export const DEVNET_MNEMONIC = 'test test test test test test test test test test test junk';

export interface DevnetAccount {
  privateKey: string;
  address: string;
}

function derive(count: number): DevnetAccount[] {
  const accounts: DevnetAccount[] = [];
  for (let i = 0; i < count; i++) {
    const w = HDNodeWallet.fromPhrase(DEVNET_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
    accounts.push({ privateKey: w.privateKey, address: w.address });
  }
  return accounts;
}

/**
 * 10 accounts. Convention: 0 = contract owner/deployer, 1 = the application
 * ("devnet-only key"), 2..6 = GPU workers, 7..9 = spare application wallets for tests.
 */
export const DEVNET_ACCOUNTS: readonly DevnetAccount[] = Object.freeze(derive(10));

export const DEVNET_ROLES = {
  deployer: 0,
  application: 1,
  workers: [2, 3, 4, 5, 6],
  spareApplications: [7, 8, 9],
} as const;
