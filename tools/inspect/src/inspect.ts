// Frame inspector for field engineers. Give it hex (as an argument, or on stdin: one frame or a whole
// captured stream, spaces and line breaks allowed); it prints one JSON object per line for every frame
// (header fields, data units, values with units) and for every error (with its byte offset).
//
//   npm run -s inspect -- "68 32 00 32 00 68 C9 01 41 01 00 00 02 70 00 00 01 00 7F 16"
//   cat capture.hex | npm run -s inspect
//
// Exit code: 0 when every byte belonged to a valid frame, 1 when anything was reported as an error,
// 2 when the input is not hex.
import { createAutoDeframer, describeEvent, parseHex } from '@gridstation/protocols';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<number> {
  const text = process.argv.length > 2 ? process.argv.slice(2).join(' ') : await readStdin();
  const bytes = parseHex(text);
  if (!(bytes instanceof Uint8Array)) {
    process.stderr.write(`not hex: ${bytes.error}\n`);
    return 2;
  }
  const deframer = createAutoDeframer();
  let errors = 0;
  for (const e of [...deframer.push(bytes), ...deframer.finish()]) {
    const line = describeEvent(e);
    if ('error' in line) errors++;
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  return errors > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(2);
  },
);
