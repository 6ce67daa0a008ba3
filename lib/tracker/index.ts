export * from './stores';
export * from './tracker';
