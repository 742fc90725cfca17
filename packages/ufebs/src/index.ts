export * from './model.js';
export * from './result.js';
export * from './errors.js';
