import { ProgramKind } from '@gridstation/contracts';
import { Sandbox } from './sandbox';

const js = (src: string) => Buffer.from(src);
const JS = ProgramKind.PROGRAM_KIND_JAVASCRIPT;

// (i32, i32) -> i32 add, exported as "run": the smallest module the WebAssembly spec allows for it.
const ADD_WASM = Buffer.from('0061736d0100000001070160027f7f017f030201000707010372756e00000a09010700200020016a0b', 'hex');

describe('the program sandbox (a worker thread with its own heap limit)', () => {
  const box = new Sandbox({ maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8, timeoutMs: 3000, maxLogLines: 5 });
  afterAll(() => box.close());

  it('runs a CommonJS program: output, captured log lines, async results', async () => {
    await box.load('double@1', JS, js('exports.run = async (input, ctx) => { console.log("got", input.x); await new Promise((r) => setTimeout(r, 5)); return { y: input.x * 2 }; };'), 'run');
    const r = await box.run('double@1', { x: 21 });
    expect(r).toMatchObject({ ok: true, output: { y: 42 }, log: ['got 21'] });
  });

  it('refuses a module without the slot entry, naming what it does export', async () => {
    await expect(box.load('wrong@1', JS, js('exports.main = () => 1;'), 'run')).rejects.toThrow('the module exports no function run (exports: main)');
    await expect(box.load('syntax@1', JS, js('exports.run = (=> 1'), 'run')).rejects.toThrow(/Unexpected token|SyntaxError/);
    await expect(box.load('req@1', JS, js('const fs = require("fs"); exports.run = () => 1;'), 'run')).rejects.toThrow('require("fs") is not available to programs');
  });

  it('stops a program that never returns at its time limit; the next task runs on a fresh thread', async () => {
    await box.load('loop@1', JS, js('exports.run = () => { for (;;) {} };'), 'run');
    const starts = box.starts;
    const r = await box.run('loop@1', {}, 300);
    expect(r).toMatchObject({ ok: false, code: 'TIMEOUT' });
    expect((await box.run('double@1', { x: 1 })).ok).toBe(true);
    expect(box.starts).toBe(starts + 1);
  });

  it('ends a program that exhausts its heap without taking the process down', async () => {
    await box.load('hog@1', JS, js('exports.run = () => { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())); };'), 'run');
    const r = await box.run('hog@1', {}, 20_000);
    expect(r).toMatchObject({ ok: false, code: 'OUT_OF_MEMORY' });
    expect(await box.run('double@1', { x: 4 })).toMatchObject({ ok: true, output: { y: 8 } });
  });

  it('a thrown error is the program failing (permanent when it says so)', async () => {
    await box.load('picky@1', JS, js('exports.run = (i) => { if (!i.ok) { const e = new Error("bad input: ok missing"); e.permanent = true; throw e; } return {}; };'), 'run');
    expect(await box.run('picky@1', {})).toMatchObject({ ok: false, code: 'PROGRAM_ERROR', permanent: true, reason: expect.stringContaining('bad input: ok missing') });
  });

  it('runs a WebAssembly module: args in, value out', async () => {
    await box.load('add@1', ProgramKind.PROGRAM_KIND_WASM, ADD_WASM, 'run');
    expect(await box.run('add@1', { args: [40, 2] })).toMatchObject({ ok: true, output: { value: 42 } });
    await expect(box.load('add@2', ProgramKind.PROGRAM_KIND_WASM, ADD_WASM, 'main')).rejects.toThrow('the module exports no function main (exports: run)');
  });

  it('unloads a program: it no longer runs, the others do', async () => {
    box.unload('double@1');
    expect(await box.run('double@1', { x: 1 })).toMatchObject({ ok: false, code: 'PROGRAM_NOT_LOADED' });
    expect((await box.run('add@1', { args: [1, 1] })).ok).toBe(true);
  });
});
