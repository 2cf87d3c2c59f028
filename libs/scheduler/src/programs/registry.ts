import { createHash } from 'node:crypto';
import Ajv, { type ValidateFunction } from 'ajv';
import { ProgramKind, ProgramStage, ProgramType, type Program, type RegisterProgramRequest, type Slot, type ValidationResult } from '@gridstation/contracts';
import { GsError, invalidArgument, notFound } from '@gridstation/errors';
import type { Logger } from '@gridstation/telemetry';
import type { ProgramResolver } from '../scheduler';
import type { TaskStore } from '../store/task-store';
import { Sandbox, TRIAL_LIMITS } from './sandbox';
import { BUILTIN_PROGRAMS, SLOTS } from './slots';

// The custom-program index (BOS PLUMP): programs registered against slots, validated against the slot's
// contract before they may run, and released in stages. Validation loads the code in a sandbox of its
// own (trial limits), checks the entry function exists, runs it on the slot's sample input within a
// time limit and checks the output against the slot's output schema; every problem found is reported.

export const RELEASE_ORDER: readonly ProgramStage[] = [ProgramStage.PROGRAM_STAGE_VALIDATED, ProgramStage.PROGRAM_STAGE_REVIEWED, ProgramStage.PROGRAM_STAGE_PUBLIC, ProgramStage.PROGRAM_STAGE_TRIAL, ProgramStage.PROGRAM_STAGE_LAUNCHED];

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const MAX_CODE = 4 << 20;

export const stageLabel = (s: ProgramStage): string => (ProgramStage[s] ?? String(s)).replace('PROGRAM_STAGE_', '').toLowerCase();

export type ProgramChange = { ref: string; program: Program; unload: boolean };

export class ProgramRegistry implements ProgramResolver {
  private readonly byRef = new Map<string, { program: Program; code: Buffer }>();
  private readonly slotsByName = new Map(SLOTS.map((s) => [s.name, s]));
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly validators = new Map<string, { input: ValidateFunction; output: ValidateFunction }>();
  private readonly listeners = new Set<(c: ProgramChange) => void>();

  constructor(
    private readonly store: TaskStore,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    for (const s of SLOTS) this.validators.set(s.name, { input: this.ajv.compile(JSON.parse(s.inputSchemaJson)), output: this.ajv.compile(JSON.parse(s.outputSchemaJson)) });
  }

  /** Loads the index and registers (validates) the built-in programs that are missing or changed. */
  async start(): Promise<void> {
    for (const p of await this.store.programs()) this.byRef.set(`${p.program.name}@${p.program.version}`, p);
    for (const b of BUILTIN_PROGRAMS) {
      const ref = `${b.name}@${b.version}`;
      const code = Buffer.from(b.code);
      const known = this.byRef.get(ref);
      if (known && known.program.sha256 === sha256(code) && known.program.stage === ProgramStage.PROGRAM_STAGE_LAUNCHED) continue;
      const p = await this.register({ name: b.name, version: b.version, slot: b.slot, type: b.type, kind: b.kind, private: false, owner: 'gridstation', code, description: b.description }, true);
      if (!p.validation?.ok) throw new GsError('internal', 'BUILTIN_INVALID', `built-in program ${ref} failed validation: ${p.validation?.problems.join('; ')}`);
      let stage = p.stage;
      while (stage !== ProgramStage.PROGRAM_STAGE_LAUNCHED) stage = (await this.advance(b.name, b.version, RELEASE_ORDER[RELEASE_ORDER.indexOf(stage) + 1]!, 'gridstation')).stage;
    }
    this.log.info({ programs: this.byRef.size, slots: SLOTS.length }, 'program index loaded');
  }

  slots(): readonly Slot[] {
    return SLOTS;
  }

  slot(name: string): Slot | undefined {
    return this.slotsByName.get(name);
  }

  resolve(ref: string): Program | undefined {
    const p = this.byRef.get(ref)?.program;
    return p && p.stage !== ProgramStage.PROGRAM_STAGE_RETIRED ? p : undefined;
  }

  get(name: string, version: string): Program | undefined {
    return this.byRef.get(`${name}@${version}`)?.program;
  }

  code(ref: string): { program: Program; code: Buffer } | undefined {
    return this.byRef.get(ref);
  }

  list(slot = ''): Program[] {
    return [...this.byRef.values()].map((p) => p.program).filter((p) => !slot || p.slot === slot);
  }

  onChange(f: (c: ProgramChange) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** Checks a task's input against its slot's input schema; the problems, or an empty list. */
  checkInput(slot: string, input: unknown): string[] {
    const v = this.validators.get(slot);
    if (!v || v.input(input)) return [];
    return (v.input.errors ?? []).map((e) => `input${e.instancePath || ''} ${e.message ?? 'is not valid'}`);
  }

  async register(req: RegisterProgramRequest, builtin = false): Promise<Program> {
    const problems: string[] = [];
    if (!NAME.test(req.name)) problems.push(`name ${JSON.stringify(req.name)}: lower-case letters, digits, . _ -, at most 64`);
    if (!VERSION.test(req.version)) problems.push(`version ${JSON.stringify(req.version)}: letters, digits, . _ -, at most 32`);
    const slot = this.slotsByName.get(req.slot);
    if (!slot) problems.push(`slot ${JSON.stringify(req.slot)} does not exist (slots: ${SLOTS.map((s) => s.name).join(', ')})`);
    const host = req.kind === ProgramKind.PROGRAM_KIND_HOST;
    if (host && !builtin) problems.push('HOST programs ship with their pool\'s workers and cannot be registered');
    else if (host && !slot?.pool) problems.push(`slot ${req.slot} has no worker pool to provide a HOST program`);
    else if (!host && req.kind !== ProgramKind.PROGRAM_KIND_JAVASCRIPT && req.kind !== ProgramKind.PROGRAM_KIND_WASM) problems.push('kind must be JAVASCRIPT or WASM');
    if (!host && slot?.pool) problems.push(`slot ${req.slot} is served by the ${slot.pool} pool: only its HOST programs run there`);
    if (!host && req.code.length === 0) problems.push('no code');
    if (req.code.length > MAX_CODE) problems.push(`code of ${req.code.length} bytes: at most ${MAX_CODE}`);
    if (problems.length) throw invalidArgument('INVALID_PROGRAM', `the program cannot be registered: ${problems.join('; ')}`);
    const ref = `${req.name}@${req.version}`;
    const code = Buffer.from(req.code);
    const digest = sha256(code);
    const known = this.byRef.get(ref);
    if (known && known.program.sha256 === digest && !builtin) return known.program;
    if (known && known.program.sha256 !== digest && !builtin) throw new GsError('already-exists', 'PROGRAM_VERSION_EXISTS', `${ref} is registered with different code; register a new version`);
    // A host program's code is its pool's workers': they check its input and output as they run it.
    const validation = host ? { ok: true, problems: [], sampleOutputJson: '', checkedAtMs: this.now() } : await this.validate(slot!, req.kind, code);
    const program: Program = {
      name: req.name,
      version: req.version,
      slot: req.slot,
      type: req.type || ProgramType.PROGRAM_TYPE_ALGORITHM,
      kind: req.kind,
      private: req.private,
      owner: req.owner,
      stage: validation.ok ? ProgramStage.PROGRAM_STAGE_VALIDATED : ProgramStage.PROGRAM_STAGE_REJECTED,
      validation,
      storageAddress: `${this.store.kind}:program-code/${ref}`,
      sha256: digest,
      registeredAtMs: this.now(),
      services: slot!.services,
      description: req.description,
      entry: slot!.entry,
    };
    await this.store.putProgram(program, code);
    this.byRef.set(ref, { program, code });
    this.log.info({ program: ref, slot: req.slot, ok: validation.ok, problems: validation.problems }, 'program registered');
    return program;
  }

  /** Moves a program one release stage on (or retires it); refused out of order or for private programs. */
  async advance(name: string, version: string, to: ProgramStage, by: string): Promise<Program> {
    const ref = `${name}@${version}`;
    const known = this.byRef.get(ref);
    if (!known) throw notFound('PROGRAM_NOT_FOUND', `program ${ref} is not registered`);
    const from = known.program.stage;
    if (to === ProgramStage.PROGRAM_STAGE_RETIRED) {
      if (from === ProgramStage.PROGRAM_STAGE_RETIRED) return known.program;
    } else {
      if (from === ProgramStage.PROGRAM_STAGE_REJECTED) throw new GsError('failed-precondition', 'PROGRAM_REJECTED', `${ref} failed validation (${known.program.validation?.problems.join('; ')}); register a corrected version`);
      if (known.program.private) throw new GsError('failed-precondition', 'PROGRAM_PRIVATE', `${ref} is private: it runs only in trial mode and is never released`);
      const next = RELEASE_ORDER[RELEASE_ORDER.indexOf(from) + 1];
      if (to !== next) throw new GsError('failed-precondition', 'RELEASE_OUT_OF_ORDER', `${ref} is ${stageLabel(from)}: the next stage is ${next === undefined ? 'none' : stageLabel(next)}, not ${stageLabel(to)}`);
    }
    const program = { ...known.program, stage: to };
    await this.store.putProgram(program, known.code);
    this.byRef.set(ref, { program, code: known.code });
    this.log.info({ program: ref, from: stageLabel(from), to: stageLabel(to), by }, 'program stage changed');
    for (const f of this.listeners) f({ ref, program, unload: to === ProgramStage.PROGRAM_STAGE_RETIRED });
    return program;
  }

  private async validate(slot: Slot, kind: ProgramKind, code: Buffer): Promise<ValidationResult> {
    const problems: string[] = [];
    let sampleOutputJson = '';
    const box = new Sandbox({ ...TRIAL_LIMITS, timeoutMs: 5000 });
    try {
      await box.load('candidate', kind, code, slot.entry);
      const r = await box.run('candidate', JSON.parse(slot.sampleInputJson));
      if (!r.ok) problems.push(`on the sample input ${slot.sampleInputJson}: ${r.code}: ${r.reason.split('\n')[0]}`);
      else {
        sampleOutputJson = JSON.stringify(r.output) ?? 'null';
        const check = this.validators.get(slot.name)!.output;
        if (!check(r.output)) for (const e of check.errors ?? []) problems.push(`output${e.instancePath || ''} ${e.message ?? 'is not valid'} (slot ${slot.name} output schema)`);
      }
    } catch (e) {
      problems.push(`does not load: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      await box.close();
    }
    return { ok: problems.length === 0, problems, sampleOutputJson, checkedAtMs: this.now() };
  }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
