import { gsMeter } from '@gridstation/telemetry';

const meter = gsMeter('comm');

export const commMetrics = {
  connections: meter.createUpDownCounter('gs_comm_connections', { description: 'Open terminal connections' }),
  accepted: meter.createCounter('gs_comm_connections_accepted_total', { description: 'Connections accepted' }),
  refused: meter.createCounter('gs_comm_logins_refused_total', { description: 'Logins, registrations and frames refused, by reason (a bounded set: see RefusalReason)' }),
  frames: meter.createCounter('gs_comm_frames_received_total', { description: 'Frames received, by protocol' }),
  published: meter.createCounter('gs_comm_frames_published_total', { description: 'Frames acknowledged by the bus' }),
  bad: meter.createCounter('gs_comm_bad_input_total', { description: 'Undecodable bytes or frames, by code' }),
  throttled: meter.createCounter('gs_comm_throttled_total', { description: 'Times a connection was paused by its token bucket' }),
  ringFull: meter.createCounter('gs_comm_buffer_full_total', { description: 'Times a connection was paused because the publish buffer was full' }),
  suppressed: meter.createCounter('gs_comm_bad_input_suppressed_total', { description: 'Bad input counted but not dead-lettered (the connection exceeded its dead-letter rate), by code' }),
  loginDeadline: meter.createCounter('gs_comm_login_deadline_closed_total', { description: 'Connections closed for not logging in within the login deadline' }),
  edgeAgents: meter.createUpDownCounter('gs_comm_edge_agents', { description: 'Edge agents with an open stream to this pod' }),
  edgeBatches: meter.createCounter('gs_comm_edge_batches_total', { description: 'Edge batches, by outcome (acked: durable in Kafka; rejected: dead-lettered)' }),
  edgeRecords: meter.createCounter('gs_comm_edge_records_total', { description: 'Edge records (one meter\'s values at one time) acknowledged: the pod\'s QPS is its rate' }),
  edgeQueue: meter.createObservableGauge('gs_comm_edge_queue_batches', { description: 'Edge batches waiting between the streams and Kafka (the pod\'s queue length)' }),
  edgeMoves: meter.createCounter('gs_comm_edge_moves_total', { description: 'Agents told to reconnect to another pod (rebalancing)' }),
  connectionLimit: meter.createObservableGauge('gs_comm_connection_limit', { description: 'Connections accepted at most (configured, lowered to leave file descriptors for the rest of the process)' }),
};
