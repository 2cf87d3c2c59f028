export * from './frame';
export * from './link';
export * from './formats';
export * from './class-data';
export * from './events';
export * from './frozen-data';
export * from './forward';
export * from './parameters';
