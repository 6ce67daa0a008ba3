export * from './go-json';
export * from './signing';
export * from './task-hash';
export * from './abi';
export * from './events';
export * from './revert';
export * from './relay-errors';
