import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import {
  CancelTaskSetRequest,
  GetTaskRequest,
  GetTaskSetRequest,
  ListTaskSetsRequest,
  ListTasksRequest,
  SubmitTaskSetRequest,
  SummarizeTaskSetRequest,
  TraceOutputRequest,
  WatchTaskSetRequest,
  type CancelTaskSetResponse,
  type GetTaskResponse,
  type GetTaskSetResponse,
  type ListTaskSetsResponse,
  type ListTasksResponse,
  type SubmitTaskSetResponse,
  type SummarizeTaskSetResponse,
  type TaskSet,
  type TraceOutputResponse,
  type WatchTaskSetResponse,
} from '@gridstation/contracts';
import { SchedulerService } from '../scheduler.service';
import { TaskQueries } from '../task-queries';

const done = (s: TaskSet) => (s.total ? ((s.counts['SUCCESS'] ?? 0) + (s.counts['FAILED'] ?? 0)) / s.total : 0);

/** TaskService: requests arrive in Nest's loader shape and are normalised with fromPartial first. */
@Controller()
export class TaskController {
  constructor(
    @Inject(SchedulerService) private readonly svc: SchedulerService,
    @Inject(TaskQueries) private readonly queries: TaskQueries,
  ) {}

  @GrpcMethod('TaskService', 'SubmitTaskSet')
  async submitTaskSet(req: SubmitTaskSetRequest): Promise<SubmitTaskSetResponse> {
    return { taskSet: await this.svc.scheduler.submit(SubmitTaskSetRequest.fromPartial(req)) };
  }

  @GrpcMethod('TaskService', 'GetTaskSet')
  async getTaskSet(req: GetTaskSetRequest): Promise<GetTaskSetResponse> {
    return { taskSet: await this.queries.set(GetTaskSetRequest.fromPartial(req).id) };
  }

  @GrpcMethod('TaskService', 'ListTaskSets')
  listTaskSets(req: ListTaskSetsRequest): Promise<ListTaskSetsResponse> {
    const r = ListTaskSetsRequest.fromPartial(req);
    return this.queries.sets(r.service, r.pageSize, r.pageToken);
  }

  @GrpcMethod('TaskService', 'GetTask')
  async getTask(req: GetTaskRequest): Promise<GetTaskResponse> {
    return { task: await this.queries.task(GetTaskRequest.fromPartial(req).id) };
  }

  @GrpcMethod('TaskService', 'ListTasks')
  listTasks(req: ListTasksRequest): Promise<ListTasksResponse> {
    return this.queries.tasks(ListTasksRequest.fromPartial(req));
  }

  @GrpcMethod('TaskService', 'CancelTaskSet')
  async cancelTaskSet(req: CancelTaskSetRequest): Promise<CancelTaskSetResponse> {
    const r = CancelTaskSetRequest.fromPartial(req);
    return { taskSet: await this.svc.scheduler.cancel(r.id, r.reason) };
  }

  @GrpcMethod('TaskService', 'WatchTaskSet')
  watchTaskSet(req: WatchTaskSetRequest): Observable<WatchTaskSetResponse> {
    const { id } = WatchTaskSetRequest.fromPartial(req);
    return new Observable<WatchTaskSetResponse>((sub) => {
      let last = 0;
      const emit = (s: TaskSet, force = false) => {
        const now = Date.now();
        const finished = s.finishedAtMs > 0;
        // At most ten updates a second; the last one always.
        if (!force && !finished && now - last < 100) return;
        last = now;
        sub.next({ taskSet: s, done: done(s) });
        if (finished) sub.complete();
      };
      const stop = this.svc.scheduler.watch(id, (s) => emit(s));
      this.queries.set(id).then(
        (s) => emit(s, true),
        (e: unknown) => sub.error(e),
      );
      return stop;
    });
  }

  @GrpcMethod('TaskService', 'SummarizeTaskSet')
  summarizeTaskSet(req: SummarizeTaskSetRequest): Promise<SummarizeTaskSetResponse> {
    const r = SummarizeTaskSetRequest.fromPartial(req);
    return this.queries.summary(r.id, r.limit);
  }

  @GrpcMethod('TaskService', 'TraceOutput')
  traceOutput(req: TraceOutputRequest): Promise<TraceOutputResponse> {
    return this.queries.trace(TraceOutputRequest.fromPartial(req).outputId);
  }
}
