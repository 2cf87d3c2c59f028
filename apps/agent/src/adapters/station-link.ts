import { credentials, Metadata } from '@grpc/grpc-js';
import { injectGrpcMetadata } from '@gridstation/telemetry';
import { health } from '@gridstation/contracts';
import type { ManagedResource } from '@gridstation/service';

/**
 * The agent's link to the station's gRPC endpoint. Healthy when the station answers grpc.health.v1
 * with SERVING. The agent keeps running while the station is away (it buffers at the edge), so start-up
 * does not wait for the station.
 */
export class StationLink implements ManagedResource {
  private readonly client: health.HealthClient;

  constructor(
    readonly address: string,
    private readonly deadlineMs = 2000,
  ) {
    this.client = new health.HealthClient(address, credentials.createInsecure());
  }

  healthCheck(): Promise<void> {
    return new Promise((resolve, reject) => {
      const md = injectGrpcMetadata(new Metadata()) as Metadata;
      this.client.check({ service: '' }, md, { deadline: Date.now() + this.deadlineMs }, (err, res) => {
        if (err) reject(new Error(`station ${this.address}: ${err.message}`));
        else if (res.status !== health.HealthCheckResponse_ServingStatus.SERVING) reject(new Error(`station ${this.address} is not serving`));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
