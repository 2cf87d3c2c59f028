import { join } from 'node:path';

// The .proto sources ship next to the generated code so that gRPC servers can load them at run time
// (NestJS's gRPC transport and server reflection need the descriptors, not just the TypeScript types).
export const PROTO_ROOT = join(__dirname, '..', '..', '..', 'proto');

export function protoPath(relative: string): string {
  return join(PROTO_ROOT, relative);
}
