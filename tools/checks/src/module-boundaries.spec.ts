import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The shape of ARCHITECTURE.md, enforced: these imports must fail lint as errors. Each probe is linted
// as if it were a file inside the named project (the text never touches the disk).

const ROOT = join(__dirname, '..', '..', '..');

async function lintAs(file: string, code: string): Promise<string[]> {
  const out = execFileSync(process.execPath, [join(ROOT, 'tools/checks/lint-probe.mjs')], {
    cwd: ROOT,
    input: JSON.stringify({ file, code }),
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}

describe('module boundaries', () => {
  it('lets an app use libs (control case)', async () => {
    expect(await lintAs('apps/comm/src/probe.ts', "import { TOPICS } from '@gridstation/bus';\nexport const t = TOPICS;\n")).toEqual([]);
  });

  it('stops an app from importing another app', async () => {
    const errors = await lintAs('apps/comm/src/probe.ts', "import { bootstrap } from '../../parser/src/bootstrap';\nexport const b = bootstrap;\n");
    expect(errors.join('\n')).toMatch(/enforce-module-boundaries/);
  });

  it('stops a lib from importing an app', async () => {
    const errors = await lintAs('libs/bus/src/probe.ts', "import { bootstrap } from '../../../apps/storage/src/bootstrap';\nexport const b = bootstrap;\n");
    expect(errors.join('\n')).toMatch(/enforce-module-boundaries/);
  });

  it('stops a codec from doing I/O through Node', async () => {
    const errors = await lintAs('libs/protocols/src/probe.ts', "import { connect } from 'node:net';\nexport const c = connect;\n");
    expect(errors).toEqual([expect.stringMatching(/no-restricted-imports: .*codecs must not do I\/O/)]);
  });

  it('stops a codec from importing an I/O client package', async () => {
    const errors = await lintAs('libs/protocols/src/probe.ts', "import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n");
    expect(errors).toEqual([expect.stringMatching(/no-restricted-imports/)]);
  });

  it('stops a codec from importing an I/O lib of the workspace', async () => {
    const errors = await lintAs('libs/protocols/src/probe.ts', "import { TOPICS } from '@gridstation/bus';\nexport const t = TOPICS;\n");
    expect(errors.join('\n')).toMatch(/enforce-module-boundaries.*kind:pure/s);
  });

  it('stops the edge agent from importing server-side storage libs', async () => {
    for (const lib of ['@gridstation/hbase', '@gridstation/clickhouse']) {
      const errors = await lintAs('apps/agent/src/probe.ts', `import * as x from '${lib}';\nexport const y = x;\n`);
      expect(errors.join('\n')).toMatch(/enforce-module-boundaries.*scope:edge/s);
    }
  });

  it('stops a feature from importing another feature', async () => {
    const errors = await lintAs('libs/persistence/src/probe.ts', "import { RawFramesConsumer } from '@gridstation/parsing';\nexport const c = RawFramesConsumer;\n");
    expect(errors.join('\n')).toMatch(/enforce-module-boundaries.*layer:feature/s);
  });

  it('stops an adapter or the service kit from importing a feature', async () => {
    for (const file of ['libs/bus/src/probe.ts', 'libs/service/src/probe.ts']) {
      const errors = await lintAs(file, "import { TerminalServer } from '@gridstation/ingest';\nexport const s = TerminalServer;\n");
      expect(errors.join('\n')).toMatch(/enforce-module-boundaries/);
    }
  });

  it('lets a feature use adapters, the kit and pure libs (control case)', async () => {
    expect(await lintAs('libs/persistence/src/probe.ts', "import { TOPICS } from '@gridstation/bus';\nimport { GsError } from '@gridstation/errors';\nimport { LOGGER } from '@gridstation/service';\nexport const x = [TOPICS, GsError, LOGGER];\n")).toEqual([]);
  });
});
