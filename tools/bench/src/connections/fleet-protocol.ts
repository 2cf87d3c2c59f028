import type { qgdw1376 } from '@gridstation/protocols';

// What the connection benchmark and its load processes say to each other (over the child process IPC).

/** Terminal `index` of the benchmark fleet: 50,000 terminals per region code (A2 is 1..65535). */
export function fleetAddress(index: number): qgdw1376.QgdwAddress {
  return { region: String(7101 + Math.floor(index / 50_000)), terminal: (index % 50_000) + 1, master: 0, group: false };
}

export type FleetCommand =
  | { cmd: 'connect'; from: number; to: number; host: string; port: number; concurrency: number; perSourceAddress: number; timeoutMs: number; onlyHeld?: boolean }
  | { cmd: 'heartbeats'; intervalMs: number }
  | { cmd: 'flood'; durationMs: number; window: number }
  | { cmd: 'drop' }
  | { cmd: 'stats' }
  | { cmd: 'exit' };

export type FleetReport =
  | { ev: 'ready' }
  | { ev: 'progress'; ok: number; failed: number }
  /** okMs: from the first attempt to the last login that succeeded (failures wait out their timeout). */
  | { ev: 'connected'; ok: number; failed: number; ms: number; okMs: number }
  | { ev: 'flooded'; confirms: number; ms: number }
  | { ev: 'dropped'; count: number }
  | { ev: 'stats'; loggedIn: number; confirms: number; denies: number; rssBytes: number }
  | { ev: 'error'; message: string };
