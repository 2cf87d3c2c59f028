export * from './frame';
export * from './link';
