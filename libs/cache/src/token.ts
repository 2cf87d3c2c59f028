export const REDIS = Symbol.for('gridstation.redis');
