import type { Alert, SubmitTaskSetRequest, TaskSet } from '@gridstation/contracts';
import type { Point } from '@gridstation/metering';

// What collection operations need from the rest of the station. Each is provided by the app that runs
// them (the embedded station in-process, a distributed deployment over gRPC), so this feature depends
// on no other feature.

/** What the analytical store holds (the ReadingStore of persistence answers both). */
export interface CollectedData {
  /** Data times in [fromMs, toMs) with a usable value of `quantity`, per meter. */
  dataTimes(meterIds: readonly string[], quantity: string, fromMs: number, toMs: number): Promise<Map<string, number[]>>;
  /** A meter's values of `quantity` in [fromMs, toMs), in time order. */
  series(meterId: string, quantity: string, fromMs: number, toMs: number): Promise<Point[]>;
}

/** Whether a terminal holds a connection to some communication instance now. */
export interface TerminalPresence {
  online(terminal: string): Promise<boolean>;
}

/** The outcome of one task of a finished set. */
export interface TaskOutcome {
  name: string;
  ok: boolean;
  /** The program's output (ok) or nothing. */
  output?: unknown;
  failureCode?: string;
  failureReason?: string;
}

/** The scheduler, as collection uses it. */
export interface TaskSets {
  submit(req: SubmitTaskSetRequest): Promise<TaskSet>;
  /** The set; `finishedAtMs` > 0 once every task ended and that is stored. */
  get(id: string): Promise<TaskSet | undefined>;
  outcomes(id: string): Promise<TaskOutcome[]>;
}

/** Where a meter hangs (transformer area), for the KPI per area. */
export interface MeterPlaces {
  areaOf(meterId: string): string | undefined;
}

/** A terminal's meters: pn -> meter id (the archive). */
export interface TerminalMeters {
  terminal(address: string): Promise<{ address: string; meters: Array<{ meterId: string; pn: number; role?: 'master' }> } | undefined>;
}

/** Where area alerts go (the alerts topic). */
export interface AlertSink {
  publish(alerts: readonly Alert[]): Promise<void>;
}
