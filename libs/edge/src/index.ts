export { EdgeBatchError, packRecords, unpackRecords, type EdgeRecord } from './records';
export { dictionaryIdOf, frameHeader, ZstdCodec, type Compressed, type Dictionary } from './codec';
export { trainDictionary, type TrainOptions } from './train';
export { Spool, SpoolFull } from './spool';
export { EdgeAgent, type AgentOptions, type AgentStats } from './agent';
export { DEFAULT_REBALANCE, loadScores, Rebalancer, type AgentOnPod, type Decision, type Move, type PodLoad, type RebalanceConfig } from './rebalance';
export { EDGE_QUANTITIES, SimulatedMeters } from './simulated-meters';
export { TokenBucket } from './token-bucket';
export * from './sinking';
