import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';

/** Calls one unary method of a ts-proto grpc-js client as a promise, with a deadline. */
export function unary<Req, Res>(
  client: object,
  method: string,
  request: Req,
  deadlineMs = 10_000,
  metadata = new Metadata(),
): Promise<Res> {
  const fn = (client as Record<string, unknown>)[method] as (
    req: Req,
    md: Metadata,
    options: { deadline: Date },
    cb: (err: ServiceError | null, res?: Res) => void,
  ) => void;
  return new Promise((resolve, reject) => {
    fn.call(client, request, metadata, { deadline: new Date(Date.now() + deadlineMs) }, (err, res) => (err ? reject(err) : resolve(res as Res)));
  });
}

export const insecure = () => credentials.createInsecure();
