import { randomUUID } from 'node:crypto';
import { Subject } from 'rxjs';
import { ConsumerPipeline, protoDecoder, step, TOPICS, type MessageBus, type Subscription } from '@gridstation/bus';
import { Alert } from '@gridstation/contracts';

const decodeAlert = protoDecoder(Alert, 'UNDECODABLE', 'gridstation.v1.Alert');

/** Fans alerts out to this instance's gRPC subscribers: reads gs.alerts.v1 from "now" in a group of its own. */
export class AlertHub {
  readonly alerts$ = new Subject<Alert>();
  private subscription?: Subscription;
  private readonly pipeline = ConsumerPipeline.decode('analytics-alert-hub', (m) => {
    const r = decodeAlert(m);
    // The recorder dead-letters bad records; live subscribers just do not see them.
    return r.kind === 'ok' ? r : step.drop(r.kind === 'dead-letter' ? r.reason : 'undecodable');
  }).effect('fan-out', async (items) => {
    for (const { value } of items) this.alerts$.next(value);
  });

  constructor(
    private readonly bus: MessageBus,
    private readonly groupPrefix: string,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({ groupId: `${this.groupPrefix}-${randomUUID()}`, topics: [TOPICS.alerts], fromBeginning: false, handler: this.pipeline.handler() });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    this.alerts$.complete();
  }
}
