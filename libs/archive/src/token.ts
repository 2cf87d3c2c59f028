/** Nest injection token for the DeviceArchive. */
export const ARCHIVE = Symbol('gridstation.archive');
