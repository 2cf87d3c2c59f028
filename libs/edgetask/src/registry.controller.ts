import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import {
  GetApplicationRequest,
  RegisterAlgorithmRequest,
  RegisterApplicationRequest,
  RegisterEdgeNodeRequest,
  type GetApplicationResponse,
  type ListAlgorithmsResponse,
  type ListApplicationsResponse,
  type ListEdgeNodesResponse,
  type RegisterAlgorithmResponse,
  type RegisterApplicationResponse,
  type RegisterEdgeNodeResponse,
} from '@gridstation/contracts';
import { invalidArgument } from '@gridstation/errors';
import { EdgeRegistry } from './registry';

export const EDGE_REGISTRY = Symbol('gridstation.edgetask.registry');

/** gridstation.v1.EdgeRegistryService over the registry (errors map to gRPC codes in the service kit). */
@Controller()
export class EdgeRegistryController {
  constructor(@Inject(EDGE_REGISTRY) private readonly registry: EdgeRegistry) {}

  @GrpcMethod('EdgeRegistryService', 'RegisterEdgeNode')
  async registerEdgeNode(req: RegisterEdgeNodeRequest): Promise<RegisterEdgeNodeResponse> {
    const r = RegisterEdgeNodeRequest.fromPartial(req);
    if (!r.node) throw invalidArgument('EDGE_NODE_INVALID', 'node is required');
    return { node: await this.registry.registerNode(r.node) };
  }

  @GrpcMethod('EdgeRegistryService', 'ListEdgeNodes')
  async listEdgeNodes(): Promise<ListEdgeNodesResponse> {
    return { nodes: await this.registry.nodes() };
  }

  @GrpcMethod('EdgeRegistryService', 'RegisterAlgorithm')
  async registerAlgorithm(req: RegisterAlgorithmRequest): Promise<RegisterAlgorithmResponse> {
    const r = RegisterAlgorithmRequest.fromPartial(req);
    if (!r.algorithm) throw invalidArgument('ALGORITHM_INVALID', 'algorithm is required');
    return { algorithm: await this.registry.registerAlgorithm(r.algorithm) };
  }

  @GrpcMethod('EdgeRegistryService', 'ListAlgorithms')
  async listAlgorithms(): Promise<ListAlgorithmsResponse> {
    return { algorithms: await this.registry.algorithms() };
  }

  @GrpcMethod('EdgeRegistryService', 'RegisterApplication')
  async registerApplication(req: RegisterApplicationRequest): Promise<RegisterApplicationResponse> {
    const r = RegisterApplicationRequest.fromPartial(req);
    if (!r.application) throw invalidArgument('APPLICATION_INVALID', 'application is required');
    return { application: await this.registry.registerApplication(r.application) };
  }

  @GrpcMethod('EdgeRegistryService', 'ListApplications')
  async listApplications(): Promise<ListApplicationsResponse> {
    return { applications: await this.registry.applications() };
  }

  @GrpcMethod('EdgeRegistryService', 'GetApplication')
  async getApplication(req: GetApplicationRequest): Promise<GetApplicationResponse> {
    return this.registry.application(GetApplicationRequest.fromPartial(req).name);
  }
}
