// Frame inspector for field engineers. Give it hex (as arguments, or on stdin: one frame or a whole
// captured stream, spaces and line breaks allowed); it prints one JSON object per line for every frame
// (header fields, data units, values with units) and for every error (with its byte offset).
//
//   gs-inspect "68 32 00 32 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16"
//   cat capture.hex | gs-inspect
//   gs-inspect --each-line < frames.log        one capture per line, each output tagged with "line"
//   gs-inspect --protocol=dlt698 ...           only this protocol's frames are looked for
//   gs-inspect --variant=a2-4 ...              1376.1 frames with 4-byte terminal addresses
//
// Exit code: 0 when every byte belonged to a valid frame, 1 when anything was reported as an error,
// 2 when the input is not hex or an option is wrong.
import { createAutoDeframer, createDlt645Deframer, createDlt698Deframer, createQgdwDeframer, describeEvent, parseHex, type qgdw1376 } from '@gridstation/protocols';

const USAGE = `usage: gs-inspect [--each-line] [--protocol=auto|qgdw1376|dlt645|dlt698] [--variant=standard|a2-4] [hex ...]
  hex from the arguments, or stdin when there are none
  --each-line   every input line is its own capture; outputs carry "line" (1-based)
  --protocol    look for one protocol's frames only (where auto-detection is ambiguous)
  --variant     Q/GDW 1376.1 field variant: a2-4 = 4-byte terminal address (A2)`;

const DEFRAMERS = { auto: createAutoDeframer, qgdw1376: createQgdwDeframer, dlt645: createDlt645Deframer, dlt698: createDlt698Deframer } as const;
const VARIANTS: Record<string, qgdw1376.QgdwVariant> = { standard: {}, 'a2-4': { terminalAddressBytes: 4 } };

interface Options {
  eachLine: boolean;
  protocol: keyof typeof DEFRAMERS;
  variant: qgdw1376.QgdwVariant;
  hex: string[];
}

function parseArgs(argv: string[]): Options | string {
  const o: Options = { eachLine: false, protocol: 'auto', variant: {}, hex: [] };
  for (const a of argv) {
    const [flag, value] = a.startsWith('--') ? (a.split('=', 2) as [string, string | undefined]) : [a, undefined];
    if (flag === '--help' || flag === '-h') return USAGE;
    if (flag === '--each-line') o.eachLine = true;
    else if (flag === '--protocol') {
      if (!value || !(value in DEFRAMERS)) return `--protocol must be one of ${Object.keys(DEFRAMERS).join(', ')}\n${USAGE}`;
      o.protocol = value as Options['protocol'];
    } else if (flag === '--variant') {
      const v = value === undefined ? undefined : VARIANTS[value];
      if (!v) return `--variant must be one of ${Object.keys(VARIANTS).join(', ')}\n${USAGE}`;
      o.variant = v;
    } else if (flag.startsWith('--')) return `unknown option ${flag}\n${USAGE}`;
    else o.hex.push(a);
  }
  return o;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Decodes one capture; returns the number of errors reported. */
function inspectCapture(text: string, o: Options, line?: number): number {
  const tag = line === undefined ? {} : { line };
  const bytes = parseHex(text);
  if (!(bytes instanceof Uint8Array)) {
    process.stdout.write(`${JSON.stringify({ ...tag, error: 'NOT_HEX', message: bytes.error })}\n`);
    return 1;
  }
  const deframer = DEFRAMERS[o.protocol]();
  let errors = 0;
  for (const e of [...deframer.push(bytes), ...deframer.finish()]) {
    const out = describeEvent(e, { qgdwVariant: o.variant });
    if ('error' in out) errors++;
    process.stdout.write(`${JSON.stringify({ ...tag, ...out })}\n`);
  }
  return errors;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (typeof o === 'string') {
    process.stderr.write(`${o}\n`);
    return o === USAGE ? 0 : 2;
  }
  const text = o.hex.length > 0 ? o.hex.join(o.eachLine ? '\n' : ' ') : await readStdin();
  if (!o.eachLine) {
    const bytes = parseHex(text);
    if (!(bytes instanceof Uint8Array)) {
      process.stderr.write(`not hex: ${bytes.error}\n`);
      return 2;
    }
    return inspectCapture(text, o) > 0 ? 1 : 0;
  }
  let errors = 0;
  text.split(/\r?\n/).forEach((l, k) => {
    if (l.trim() === '' || l.trimStart().startsWith('#')) return;
    errors += inspectCapture(l, o, k + 1);
  });
  return errors > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(2);
  },
);
