import type { PackageDefinition } from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor';

// protobufjs (7.x) names the synthetic message of a map field after the field ("Counts") where the
// protobuf language requires the field's CamelCase name plus "Entry" ("CountsEntry"). Clients that
// check descriptors strictly (grpcurl, any Go client using reflection) then refuse every file that has a
// map field. The descriptors handed to reflection are corrected here; the wire format is unaffected.

interface Message {
  field: Array<{ label?: number; typeName?: string }>;
  nestedType: Message[];
  name?: string;
  options?: { mapEntry?: boolean };
}

const entryName = (field: string) => `${field.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}Entry`;

function fix(m: Message): boolean {
  let changed = false;
  const renamed = new Map<string, string>();
  for (const n of m.nestedType) {
    if (n.options?.mapEntry && n.name && !n.name.endsWith('Entry')) {
      const field = (m.field as Array<{ name?: string; typeName?: string }>).find((f) => f.typeName === n.name || f.typeName?.endsWith(`.${n.name}`));
      if (!field?.name) continue;
      renamed.set(n.name, entryName(field.name));
      n.name = entryName(field.name);
      changed = true;
    }
    changed = fix(n) || changed;
  }
  for (const f of m.field) {
    if (!f.typeName) continue;
    const short = f.typeName.split('.').pop()!;
    const to = renamed.get(short);
    if (to) f.typeName = f.typeName.slice(0, f.typeName.length - short.length) + to;
  }
  return changed;
}

/** The same package definition with map entries named as the protobuf language requires. */
export function withMapEntryNames(pkg: PackageDefinition): PackageDefinition {
  const cache = new Map<Buffer, Buffer>();
  const fixFile = (bytes: Buffer): Buffer => {
    const known = cache.get(bytes);
    if (known) return known;
    const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as { messageType: Message[] };
    let changed = false;
    for (const m of file.messageType) changed = fix(m) || changed;
    const out = changed ? Buffer.from(descriptor.FileDescriptorProto.encode(file as never).finish()) : bytes;
    cache.set(bytes, out);
    return out;
  };
  const result: PackageDefinition = {};
  for (const [name, def] of Object.entries(pkg)) {
    const d = def as { fileDescriptorProtos?: Buffer[] };
    result[name] = (d.fileDescriptorProtos ? { ...def, fileDescriptorProtos: d.fileDescriptorProtos.map(fixFile) } : def) as PackageDefinition[string];
  }
  return result;
}
