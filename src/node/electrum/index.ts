export * from './errors.ts';
export * from './url.ts';
export * from './framing.ts';
export * from './socks.ts';
export * from './validate.ts';
export * from './client.ts';
export * from './pool.ts';
