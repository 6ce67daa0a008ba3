/** Task argument builders, presets and validation (SPEC §6). */
export { type BuiltTask, randomSeed } from './common';
export * from './presets';
export * from './validate';
export * from './sd';
export * from './gpt';
