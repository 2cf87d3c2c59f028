export { Simulator, DEFAULT_SIMULATOR, type SimulatorOptions, type SimulatorStats } from './simulator';
export { SimTerminal, asActiveReport, deviceTime, meterIdOf, QUARTER_MS, type SimTerminalOptions, type SimTerminalStats } from './sim-terminal';
export { SimTerminal698, dlt698AddressOf, type SimTerminal698Options } from './sim-terminal-698';
export { GroundTruth, truthKey, type TruthReading } from './truth';
export { MeterModel, loadShape, tariffAt, mulberry32, round, type Snapshot, type Registers } from './load-model';
export { diffWithTruth, isExact, type StoredValue, type TruthDiff } from './verify';
export {
  areaOf,
  boxOf,
  DEFAULT_SHAPE,
  percentile,
  planLength,
  planScenarios,
  ScenarioRunner,
  SCENARIO_TYPES,
  scoreScenarios,
  simulatorTopology,
  type OutageCase,
  type PlanOptions,
  type ReceivedAlert,
  type ScenarioType,
  type TopologyShape,
  type TypeScore,
} from './scenarios';
export { DEFAULT_FAULTS, faultyMeters, type FaultKind, type FaultOptions, type FaultyMeter, type InjectedFault } from './anomalies';
export { indicatorDatasetSql, PAPER_CASE, type IndicatorDatasetSize } from './indicator-dataset';
export { OutageInjector, type InjectedOutage } from './outage-injector';
