// Small shared building blocks: clock, logger, backoff, token bucket. No project imports.
export * from './clock.js';
export * from './logger.js';
