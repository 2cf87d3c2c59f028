import { ProgramKind, ProgramType, type Slot, type SlotField } from '@gridstation/contracts';

// The slot catalogue (BOS PLUMP): each slot is a contract for one kind of model or algorithm, its input
// and output JSON Schemas, the function a program exports for it, and a sample input every program is
// run on before it may be used. The form fields a console renders come from the input schema.

interface SlotDef {
  name: string;
  description: string;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  entry: string;
  services: string[];
  sample: unknown;
  /** The worker pool that runs the slot's programs ('' = general compute / trial). */
  pool?: string;
}

const DEFS: SlotDef[] = [
  {
    name: 'compute.generic',
    description: 'A computation on a JSON object that answers with a JSON object (indicators, checks, transformations)',
    input: { type: 'object', properties: { index: { type: 'integer', description: 'Position of a generated task in its set' } } },
    output: { type: 'object' },
    entry: 'run',
    services: ['scheduler', 'indicators', 'collection'],
    sample: { index: 0 },
  },
  {
    name: 'numeric.wasm',
    description: 'A numeric kernel: numbers in, one number out (WebAssembly or JavaScript)',
    input: { type: 'object', required: ['args'], properties: { args: { type: 'array', items: { type: 'number' }, description: 'Arguments of the kernel, in order' } } },
    output: { type: 'object', required: ['value'], properties: { value: { type: 'number' } } },
    entry: 'run',
    services: ['scheduler'],
    sample: { args: [1, 2] },
  },
  {
    name: 'planning.study',
    description: 'One step of a planning study (unit commitment, production simulation, power flow, N-1 check, adjustment) on a scenario',
    input: {
      type: 'object',
      required: ['stage', 'index'],
      properties: {
        stage: { type: 'string', description: 'Study stage (UC, APD, RPD, N-1, ADJ)' },
        index: { type: 'integer', description: 'Period or case of the stage' },
        workMs: { type: 'integer', minimum: 0, description: 'Compute time of the step (synthetic programs)' },
        memoryMb: { type: 'number', minimum: 0, description: 'Memory the step holds while it runs (synthetic programs)' },
      },
    },
    output: { type: 'object', required: ['stage', 'index'], properties: { stage: { type: 'string' }, index: { type: 'integer' }, checksum: { type: 'number' } } },
    entry: 'run',
    services: ['planning'],
    sample: { stage: 'UC', index: 0, workMs: 1, memoryMb: 0 },
  },
  {
    name: 'collection.read',
    description: 'Reads data of one terminal through the downlink (Q/GDW 1376.1 AFN 0DH curve and daily frozen data); the answer is stored through the normal pipeline',
    input: {
      type: 'object',
      required: ['terminal', 'units'],
      properties: {
        terminal: { type: 'string', description: 'Terminal address "A1-A2", e.g. "4101-00018"' },
        units: {
          type: 'array',
          description: 'What to read: measurement point, AFN 0DH Fn, first data time and number of points',
          items: { type: 'object', required: ['pn', 'fn', 'fromMs', 'points'], properties: { pn: { type: 'integer' }, fn: { type: 'integer' }, fromMs: { type: 'integer' }, points: { type: 'integer', minimum: 1 } } },
        },
        timeoutMs: { type: 'integer', minimum: 1, description: 'How long to wait for the answer' },
      },
    },
    output: { type: 'object', required: ['outcome'], properties: { outcome: { type: 'string', enum: ['answered', 'timeout', 'denied', 'offline'] }, readings: { type: 'integer' }, servedBy: { type: 'string' } } },
    entry: 'run',
    services: ['collection'],
    sample: { terminal: '4101-00001', units: [{ pn: 1, fn: 81, fromMs: 0, points: 1 }] },
    pool: 'collection',
  },
  {
    name: 'collection.sync',
    description: 'Makes a terminal\'s meter configuration (Q/GDW 1376.1 F10) match the archive: read (AFN 0AH), compare, fix (AFN 04H), read again',
    input: { type: 'object', required: ['terminal'], properties: { terminal: { type: 'string', description: 'Terminal address "A1-A2"' }, maxDevice: { type: 'integer', minimum: 1, maximum: 2040, description: 'Highest device number checked for devices the archive does not know' } } },
    output: { type: 'object', required: ['outcome', 'terminal'], properties: { outcome: { type: 'string', enum: ['synced', 'offline'] }, terminal: { type: 'string' }, written: { type: 'integer' }, verified: { type: 'boolean' } } },
    entry: 'run',
    services: ['collection'],
    sample: { terminal: '4101-00001' },
    pool: 'collection',
  },
  {
    name: 'collection.clock',
    description: 'Reads a terminal\'s clock (AFN 0CH F2) and sets it (AFN 05H F31) when it drifted past the threshold',
    input: { type: 'object', required: ['terminal'], properties: { terminal: { type: 'string', description: 'Terminal address "A1-A2"' }, thresholdMs: { type: 'integer', minimum: 1, description: 'Set the clock when it is off by more than this' } } },
    output: { type: 'object', required: ['outcome', 'terminal'], properties: { outcome: { type: 'string', enum: ['checked', 'offline'] }, terminal: { type: 'string' }, driftMs: { type: 'number' }, set: { type: 'boolean' } } },
    entry: 'run',
    services: ['collection'],
    sample: { terminal: '4101-00001' },
    pool: 'collection',
  },
  {
    name: 'collection.indicators',
    description: 'The 15 business-expansion indicators of a range of transformer areas over their year of daily load, aggregated in ClickHouse',
    input: {
      type: 'object',
      required: ['fromArea', 'toArea'],
      properties: {
        fromArea: { type: 'integer', minimum: 0, description: 'First area id of the range' },
        toArea: { type: 'integer', minimum: 1, description: 'Area id after the range' },
        thresholds: { type: 'object', description: 'Load rates of heavy and overloaded days, imbalance and planning limits (libs/metering defaults)' },
      },
    },
    output: { type: 'object', required: ['areas'], properties: { areas: { type: 'array', items: { type: 'object' } }, rowsRead: { type: 'integer' }, elapsedMs: { type: 'integer' } } },
    entry: 'run',
    services: ['collection'],
    sample: { fromArea: 0, toArea: 1 },
    pool: 'indicators',
  },
  {
    name: 'edge.task',
    description: 'A computing task delivered to an edge cluster (seed 001): a GridTask of a registered application on a registered edge node; the task follows its status and its output is the results the ranks sent back',
    input: {
      type: 'object',
      required: ['edgeNode', 'application'],
      properties: {
        edgeNode: { type: 'string', description: 'Registered edge node (EdgeRegistryService) the task runs on' },
        application: { type: 'string', description: 'Registered application (an algorithm and its command)' },
        params: { type: 'object', description: "Values of the algorithm's declared parameters" },
        worldSize: { type: 'integer', minimum: 1, maximum: 256, description: "Ranks (default: the application's)" },
        resultWaitMs: { type: 'integer', minimum: 0, description: "How long to wait for every rank's final result once the GridTask succeeded" },
      },
    },
    output: { type: 'object', required: ['gridTask', 'phase', 'results'], properties: { gridTask: { type: 'string' }, edgeNode: { type: 'string' }, phase: { type: 'string' }, complete: { type: 'boolean' }, results: { type: 'array', items: { type: 'object' } } } },
    entry: 'run',
    services: ['scheduler'],
    sample: { edgeNode: 'edge-1', application: 'area-stats' },
    pool: 'edge',
  },
];

function fieldsOf(schema: Record<string, unknown>): SlotField[] {
  const props = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, p]) => ({ name, type: String(p['type'] ?? 'object'), description: String(p['description'] ?? ''), required: required.has(name), defaultJson: p['default'] === undefined ? '' : JSON.stringify(p['default']) }));
}

export const SLOTS: readonly Slot[] = DEFS.map((d) => ({
  name: d.name,
  description: d.description,
  inputSchemaJson: JSON.stringify(d.input),
  outputSchemaJson: JSON.stringify(d.output),
  entry: d.entry,
  services: d.services,
  sampleInputJson: JSON.stringify(d.sample),
  fields: fieldsOf(d.input),
  pool: d.pool ?? '',
}));

export interface BuiltinProgram {
  name: string;
  version: string;
  slot: string;
  type: ProgramType;
  kind: ProgramKind;
  description: string;
  code: string;
}

// Programs the station ships with, registered (and validated) at start like any other.
export const BUILTIN_PROGRAMS: readonly BuiltinProgram[] = [
  {
    name: 'noop',
    version: '1',
    slot: 'compute.generic',
    type: ProgramType.PROGRAM_TYPE_ALGORITHM,
    kind: ProgramKind.PROGRAM_KIND_JAVASCRIPT,
    description: 'Does nothing and answers with its index (scheduler benchmarks and smoke tests)',
    code: 'exports.run = (input) => ({ index: input.index === undefined ? null : input.index });',
  },
  {
    name: 'sleep',
    version: '1',
    slot: 'compute.generic',
    type: ProgramType.PROGRAM_TYPE_ALGORITHM,
    kind: ProgramKind.PROGRAM_KIND_JAVASCRIPT,
    description: 'Waits input.ms milliseconds (a task that waits on something else); fails when input.fail is true',
    code: [
      'exports.run = async (input) => {',
      '  await new Promise((r) => setTimeout(r, Number(input.ms) || 0));',
      '  if (input.fail) { const e = new Error("asked to fail"); e.permanent = !!input.permanent; throw e; }',
      '  return { index: input.index === undefined ? null : input.index, sleptMs: Number(input.ms) || 0 };',
      '};',
    ].join('\n'),
  },
  {
    name: 'planning-synthetic',
    version: '1',
    slot: 'planning.study',
    type: ProgramType.PROGRAM_TYPE_MODEL,
    kind: ProgramKind.PROGRAM_KIND_JAVASCRIPT,
    description: 'Stands in for a planning step: holds memoryMb of heap while it computes for workMs (mode "spin" uses the CPU, otherwise it waits)',
    code: [
      'exports.run = async (input) => {',
      '  const held = new Array(Math.round((Number(input.memoryMb) || 0) * 131072)).fill(1.5);',
      '  const until = Date.now() + (Number(input.workMs) || 0);',
      '  let x = 0;',
      '  if (input.mode === "spin") { while (Date.now() < until) x += Math.sqrt(x + 1); }',
      '  else await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));',
      '  return { stage: String(input.stage), index: Number(input.index), checksum: (held.length + (x % 1000)) % 1000 };',
      '};',
    ].join('\n'),
  },
  {
    name: 'collection-read',
    version: '1',
    slot: 'collection.read',
    type: ProgramType.PROGRAM_TYPE_ALGORITHM,
    kind: ProgramKind.PROGRAM_KIND_HOST,
    description: 'Reads a terminal through the downlink; provided by the collection workers (the communication side)',
    code: '',
  },
  {
    name: 'collection-sync',
    version: '1',
    slot: 'collection.sync',
    type: ProgramType.PROGRAM_TYPE_ALGORITHM,
    kind: ProgramKind.PROGRAM_KIND_HOST,
    description: 'Syncs a terminal\'s meter configuration with the archive; provided by the collection workers',
    code: '',
  },
  {
    name: 'collection-clock',
    version: '1',
    slot: 'collection.clock',
    type: ProgramType.PROGRAM_TYPE_ALGORITHM,
    kind: ProgramKind.PROGRAM_KIND_HOST,
    description: 'Checks a terminal\'s clock and sets it when it drifted; provided by the collection workers',
    code: '',
  },
  {
    name: 'edge-task',
    version: '1',
    slot: 'edge.task',
    type: ProgramType.PROGRAM_TYPE_ALGORITHM,
    kind: ProgramKind.PROGRAM_KIND_HOST,
    description: 'Delivers a GridTask to an edge cluster and follows it to its end; provided by the scheduler\'s edge workers (GS_EDGE_TASKS=on)',
    code: '',
  },
  {
    name: 'collection-indicators',
    version: '1',
    slot: 'collection.indicators',
    type: ProgramType.PROGRAM_TYPE_ALGORITHM,
    kind: ProgramKind.PROGRAM_KIND_HOST,
    description: 'Computes the business-expansion indicators of a range of areas in ClickHouse; provided by the indicators workers (next to the analytical store)',
    code: '',
  },
];
