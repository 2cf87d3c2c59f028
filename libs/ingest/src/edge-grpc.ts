import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { EdgeControlServiceService, EdgeIngestServiceService, MoveAgentsRequest, type GetLoadRequest, type GetLoadResponse, type MoveAgentsResponse } from '@gridstation/contracts';
import type { DirectGrpcService } from '@gridstation/service';
import { EdgeIngest } from './edge-ingest';

// EdgeIngestService (a bidirectional stream per agent) and EdgeControlService (the rebalancer's reads
// and moves), served on grpc-js directly next to the Nest controllers.

export const EDGE_GRPC_SERVICES: DirectGrpcService[] = [
  {
    file: 'gridstation/v1/edge.proto',
    definition: EdgeIngestServiceService,
    implementation: (app) => {
      const edge = app.get(EdgeIngest);
      return { edgeStream: edge.handle.bind(edge) };
    },
  },
  {
    file: 'gridstation/v1/edge.proto',
    definition: EdgeControlServiceService,
    implementation: (app) => {
      const edge = app.get(EdgeIngest);
      return {
        getLoad: (_call: ServerUnaryCall<GetLoadRequest, GetLoadResponse>, done: sendUnaryData<GetLoadResponse>) => done(null, edge.load()),
        moveAgents: (call: ServerUnaryCall<MoveAgentsRequest, MoveAgentsResponse>, done: sendUnaryData<MoveAgentsResponse>) => {
          const r = MoveAgentsRequest.fromPartial(call.request);
          if (!r.targetAddress) return done({ code: 3, details: 'target_address is required' });
          done(null, { moved: edge.move(r.agentIds, r.targetAddress, r.reason, r.decisionId) });
        },
      };
    },
  },
];
