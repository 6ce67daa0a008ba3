export * from './rpc';
export * from './provider';
export * from './tx-queue';
export * from './task-contract';
export * from './logs';
export * from './block-watcher';
