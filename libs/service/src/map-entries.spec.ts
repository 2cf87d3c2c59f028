import { loadSync } from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor';
import { PROTO_ROOT } from '@gridstation/contracts';
import { withMapEntryNames } from './map-entries';

type Msg = { name: string; field: Array<{ name: string; typeName?: string }>; nestedType: Array<{ name: string; options?: { mapEntry?: boolean } }> };

const message = (pkg: ReturnType<typeof loadSync>, full: string): Msg => {
  const file = descriptor.FileDescriptorProto.decode((pkg[full] as { fileDescriptorProtos: Buffer[] }).fileDescriptorProtos[0]!) as unknown as { messageType: Msg[] };
  return file.messageType.find((m) => m.name === full.split('.').pop())!;
};

describe('descriptors served by reflection', () => {
  const pkg = () => loadSync(['gridstation/v1/task.proto', 'gridstation/v1/alert.proto'], { includeDirs: [PROTO_ROOT], keepCase: true });

  it('name map entries <Field>Entry, as protoc does (protobufjs alone names them after the field)', () => {
    expect(message(pkg(), 'gridstation.v1.TaskSet').nestedType.map((n) => n.name)).toEqual(['Counts']);
    const fixed = withMapEntryNames(pkg());
    const taskSet = message(fixed, 'gridstation.v1.TaskSet');
    expect(taskSet.nestedType.map((n) => n.name)).toEqual(['CountsEntry']);
    expect(taskSet.field.find((f) => f.name === 'counts')?.typeName).toBe('CountsEntry');
    const alert = message(fixed, 'gridstation.v1.Alert');
    expect(alert.nestedType.filter((n) => n.options?.mapEntry).map((n) => n.name)).toEqual(['DetailsEntry']);
    expect(alert.field.find((f) => f.name === 'details')?.typeName).toBe('DetailsEntry');
  });
});
