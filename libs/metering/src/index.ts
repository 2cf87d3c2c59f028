export * from './completeness';
export * from './recollection';
export * from './vee';
export * from './line-loss';
export * from './indicators';
export * from './views';
