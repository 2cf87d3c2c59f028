/** Nest injection token for the DeviceArchive. */
export const ARCHIVE = Symbol('gridstation.archive');
/** Nest injection token for the TopologyProvider. */
export const TOPOLOGY = Symbol('gridstation.topology');
