/** The devnet's chain half: anvil launcher, well-known accounts, our contracts. */
export * from './anvil';
export * from './accounts';
export * from './contracts';
