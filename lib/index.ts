/**
 * Public API of the Crynux library. Framework-free: nothing here imports Node-RED.
 */
export * from './errors';
export * from './protocol';
export * from './client-types';
export * from './task-args';
export * from './chain';
export * from './relay';
export * from './tracker';
export * from './client';
