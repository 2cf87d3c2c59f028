import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Body, Controller, Delete, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { credentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { GetValuesRequest, ValueView, type GetValuesResponse, EdgeControlServiceClient, GetLoadRequest, ListDecisionsRequest, RebalancerServiceClient, WatchDecisionsRequest, type GetLoadResponse, type ListDecisionsResponse, type RebalanceDecision, type WatchDecisionsResponse, Direction, GetSuccessRateRequest, ListPlansRequest, ListTerminalsRequest, RateGrouping, TerminalServiceClient, TerminalState, WatchTrafficRequest, CollectionServiceClient, Protocol, type GetSuccessRateResponse, type ListPlansResponse, type ListTerminalsResponse, type WatchTrafficResponse, AlertFilter, AlertKind, AlertServiceClient, AlertState, ElementKind, GetTopologyRequest, QueryAlertsRequest, SubscribeAlertsRequest, TopologyServiceClient, type Alert, type GetTopologyResponse, type QueryAlertsResponse, type SubscribeAlertsResponse, AdvanceProgramRequest, CancelTaskSetRequest, GetCurveRequest, GetLatestReadingsRequest, type GetLatestReadingsResponse, QualityFlag, ReadingQueryServiceClient, type GetCurveResponse, ListProgramsRequest, ListSlotsRequest, ListTaskSetsRequest, ProgramServiceClient, ProgramStage, SubmitTaskSetRequest, TaskServiceClient, WatchTaskSetRequest, type AdvanceProgramResponse, type CancelTaskSetResponse, type ListProgramsResponse, type ListSlotsResponse, type ListTaskSetsResponse, type SubmitTaskSetResponse, type TaskSet, type WatchTaskSetResponse } from '@gridstation/contracts';
import { createAutoDeframer, describeEvent } from '@gridstation/protocols';
import { resolveAddresses } from '@gridstation/service';
import { AuthError, cookie, type Role, type Session, Sessions } from './auth';
import { MetricsSampler } from './metrics';

// The console's HTTP side: its pages (static files, no build step), and a thin JSON facade over the
// station's gRPC services (TaskService, ProgramService) with server-sent events for what is live (the
// overview's numbers, a task set's progress). Every /console/api call needs a session; every state
// change needs the session's CSRF token and, for operator actions, the operator role.

export const CONSOLE_OPTIONS = Symbol('gridstation.console.options');
export const COOKIE = 'gs_console';

export interface ConsoleOptions {
  /** gRPC address of the services (the station itself in embedded mode). */
  grpc: string | (() => string);
  /** AlertService and TopologyService (the analytics service; the same address as `grpc` when not given). */
  analyticsGrpc?: string | (() => string);
  /** TerminalService and EdgeControlService of every communication instance (`grpc` when not given). */
  commGrpc?: readonly string[] | (() => readonly string[]);
  /** RebalancerService; none in the embedded station (one process: no pods to balance). */
  rebalancerGrpc?: string;
  sessions: Sessions;
  sampler: MetricsSampler;
}

const ASSETS = join(__dirname, '..', 'assets');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

function unary<Res>(call: (req: never, cb: (err: ServiceError | null, res: Res) => void) => unknown, req: unknown): Promise<Res> {
  return new Promise((resolve, reject) => call(req as never, (err, res) => (err ? reject(err) : resolve(res))));
}

@Controller('console')
export class ConsoleController {
  private clients: { tasks: TaskServiceClient; programs: ProgramServiceClient; readings: ReadingQueryServiceClient; alerts: AlertServiceClient; topology: TopologyServiceClient; collection: CollectionServiceClient; comm: Map<string, { terminals: TerminalServiceClient; edge: EdgeControlServiceClient }>; rebalancer?: RebalancerServiceClient } | undefined;
  /** Which communication instance last said it holds a terminal. */
  private readonly holder = new Map<string, string>();
  private readonly files = new Map<string, Buffer>();

  constructor(@Inject(CONSOLE_OPTIONS) private readonly o: ConsoleOptions) {}

  private get tasks(): TaskServiceClient {
    return this.grpc().tasks;
  }

  private get programs(): ProgramServiceClient {
    return this.grpc().programs;
  }

  private grpc() {
    if (!this.clients) {
      const address = typeof this.o.grpc === 'function' ? this.o.grpc() : this.o.grpc;
      const analytics = (typeof this.o.analyticsGrpc === 'function' ? this.o.analyticsGrpc() : this.o.analyticsGrpc) || address;
      this.clients = {
        tasks: new TaskServiceClient(address, credentials.createInsecure()),
        programs: new ProgramServiceClient(address, credentials.createInsecure()),
        readings: new ReadingQueryServiceClient(address, credentials.createInsecure()),
        alerts: new AlertServiceClient(analytics, credentials.createInsecure()),
        topology: new TopologyServiceClient(analytics, credentials.createInsecure()),
        collection: new CollectionServiceClient(address, credentials.createInsecure()),
        comm: new Map(),
        ...(this.o.rebalancerGrpc ? { rebalancer: new RebalancerServiceClient(this.o.rebalancerGrpc, credentials.createInsecure()) } : {}),
      };
    }
    return this.clients;
  }

  /** Clients of each communication instance (dns:name:port entries resolved at each call). */
  private async commInstances(): Promise<Array<[string, { terminals: TerminalServiceClient; edge: EdgeControlServiceClient }]>> {
    const g = this.grpc();
    const given = (typeof this.o.commGrpc === 'function' ? this.o.commGrpc() : this.o.commGrpc) ?? [];
    const addresses = given.length ? await resolveAddresses(given) : [typeof this.o.grpc === 'function' ? this.o.grpc() : this.o.grpc];
    return addresses.map((a) => {
      let c = g.comm.get(a);
      if (!c) g.comm.set(a, (c = { terminals: new TerminalServiceClient(a, credentials.createInsecure()), edge: new EdgeControlServiceClient(a, credentials.createInsecure()) }));
      return [a, c];
    });
  }

  private async commClients(): Promise<Array<[string, TerminalServiceClient]>> {
    return (await this.commInstances()).map(([a, c]) => [a, c.terminals]);
  }

  // --- pages ------------------------------------------------------------------------------------------

  @Get()
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!/^[a-z0-9-]+\.(js|css|html)$/.test(file)) {
      res.status(404).end();
      return;
    }
    this.send(res, file);
  }

  @Get('vendor/echarts.min.js')
  echarts(@Res() res: Response): void {
    const key = 'echarts';
    if (!this.files.has(key)) this.files.set(key, readFileSync(require.resolve('echarts/dist/echarts.min.js')));
    res.setHeader('Content-Type', TYPES['.js']!).setHeader('Cache-Control', 'max-age=86400').send(this.files.get(key));
  }

  private send(res: Response, file: string): void {
    let body = this.files.get(file);
    if (!body) {
      try {
        body = readFileSync(join(ASSETS, file));
      } catch {
        res.status(404).end();
        return;
      }
      this.files.set(file, body);
    }
    res
      .setHeader('Content-Type', TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream')
      .setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
      .setHeader('X-Content-Type-Options', 'nosniff')
      .send(body);
  }

  // --- sessions ---------------------------------------------------------------------------------------

  @Post('api/session')
  signIn(@Body() body: { user?: string; password?: string }, @Req() req: Request, @Res() res: Response): void {
    this.guard(res, () => {
      this.sameOrigin(req);
      const s = this.o.sessions.signIn(String(body?.user ?? ''), String(body?.password ?? ''));
      res.setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(s.id)}; Path=/console; HttpOnly; SameSite=Strict`);
      return { user: s.user, role: s.role, csrf: s.csrf };
    });
  }

  @Get('api/session')
  me(@Req() req: Request, @Res() res: Response): void {
    this.guard(res, () => {
      const s = this.session(req);
      return { user: s.user, role: s.role, csrf: s.csrf };
    });
  }

  @Delete('api/session')
  signOut(@Req() req: Request, @Res() res: Response): void {
    this.guard(res, () => {
      const s = this.change(req, 'read-only', 'Signing out');
      this.o.sessions.signOut(s.id);
      res.setHeader('Set-Cookie', `${COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`);
      return { ok: true };
    });
  }

  // --- overview ---------------------------------------------------------------------------------------

  @Get('api/overview')
  overview(@Req() req: Request, @Res() res: Response): void {
    this.guard(res, () => (this.session(req), { recent: this.o.sampler.recent() }));
  }

  /** Server-sent events: one "sample" per second. */
  @Get('api/live')
  live(@Req() req: Request, @Res() res: Response): void {
    if (!this.openEvents(req, res)) return;
    const off = this.o.sampler.subscribe((s) => event(res, 'sample', s));
    req.on('close', off);
  }

  // --- tasks ------------------------------------------------------------------------------------------

  @Get('api/task-sets')
  taskSets(@Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      this.session(req);
      const r = await unary<ListTaskSetsResponse>(this.tasks.listTaskSets.bind(this.tasks), ListTaskSetsRequest.fromPartial({ pageSize: 50 }));
      return { taskSets: r.taskSets.map(view) };
    });
  }

  /** A demo set from the form: `count` tasks of program sleep@1 waiting `ms` each. */
  @Post('api/task-sets')
  submit(@Body() body: { name?: string; count?: number; ms?: number }, @Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      const s = this.change(req, 'operator', 'Submitting a task set');
      const count = Math.min(10_000, Math.max(1, Math.floor(Number(body?.count) || 20)));
      const ms = Math.min(600_000, Math.max(0, Math.floor(Number(body?.ms) || 200)));
      const r = await unary<SubmitTaskSetResponse>(
        this.tasks.submitTaskSet.bind(this.tasks),
        SubmitTaskSetRequest.fromPartial({
          name: String(body?.name || 'console demo').slice(0, 100),
          service: 'console',
          context: { user: s.user, project: 'console', scene: 'demo' },
          stages: [{ name: 'work' }],
          generators: [{ prefix: 't-', count, template: { stage: 'work', program: 'sleep@1', input: { paramsJson: JSON.stringify({ ms }), scale: 1 } } }],
        }),
      );
      return { taskSet: view(r.taskSet!) };
    });
  }

  @Post('api/task-sets/:id/cancel')
  cancel(@Param('id') id: string, @Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      const s = this.change(req, 'operator', 'Cancelling a task set');
      const r = await unary<CancelTaskSetResponse>(this.tasks.cancelTaskSet.bind(this.tasks), CancelTaskSetRequest.fromPartial({ id, reason: `cancelled from the console by ${s.user}` }));
      return { taskSet: view(r.taskSet!) };
    });
  }

  /** Server-sent events: the set's progress as the scheduler reports it (WatchTaskSet). */
  @Get('api/task-sets/:id/watch')
  watch(@Param('id') id: string, @Req() req: Request, @Res() res: Response): void {
    if (!this.openEvents(req, res)) return;
    const stream: ClientReadableStream<WatchTaskSetResponse> = this.tasks.watchTaskSet(WatchTaskSetRequest.fromPartial({ id }));
    this.relay(stream, req, res, (u) => event(res, 'progress', { done: u.done, taskSet: view(u.taskSet!) }));
  }

  // --- a meter's curve -------------------------------------------------------------------------------

  /**
   * A meter's values over the `hours` up to its latest data time (meters report in their own time; a
   * replayed or lagging meter's latest values may be days old), per quantity, with their quality flags named.
   */
  @Get('api/meters/:id/curve')
  curve(@Param('id') id: string, @Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      this.session(req);
      const hours = Math.min(24 * 31, Math.max(0.1, Number(req.query['hours']) || 1));
      const latest = await unary<GetLatestReadingsResponse>(this.grpc().readings.getLatestReadings.bind(this.grpc().readings), GetLatestReadingsRequest.fromPartial({ meterId: id }));
      const to = latest.readings.reduce((m, x) => Math.max(m, Number(x.dataTimeMs)), 0) + 1 || Date.now();
      const series: Record<string, Array<[number, number, number]>> = {};
      let pageToken = '';
      let points = 0;
      do {
        const r = await unary<GetCurveResponse>(this.grpc().readings.getCurve.bind(this.grpc().readings), GetCurveRequest.fromPartial({ meterId: id, fromMs: to - hours * 3_600_000, toMs: to, pageSize: 5_000, pageToken }));
        for (const x of r.readings) {
          const key = x.tariff ? `${x.quantity}#${x.tariff}` : x.quantity;
          (series[key] ??= []).push([Number(x.dataTimeMs), x.value, x.quality]);
        }
        points += r.readings.length;
        pageToken = r.nextPageToken;
      } while (pageToken && points < 50_000);
      const flags = Object.entries(QualityFlag).filter(([, v]) => typeof v === 'number' && v > 0).map(([k, v]) => ({ bit: v as number, name: k.replace('QUALITY_FLAG_', '').toLowerCase().replace(/_/g, ' ') }));
      return { meterId: id, fromMs: to - hours * 3_600_000, toMs: to, series, flags };
    });
  }

  // --- terminals --------------------------------------------------------------------------------------

  /**
   * Terminals online and gone offline, from every communication instance (TerminalService), with each
   * one's collection success rate of the day starting at `day` (CollectionService, the first plan that
   * names it) when a plan exists.
   */
  @Get('api/terminals')
  terminals(@Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      this.session(req);
      const g = this.grpc();
      const prefix = typeof req.query['prefix'] === 'string' ? req.query['prefix'] : '';
      const answers = await Promise.all(
        (await this.commClients()).map(async ([address, c]) => {
          try {
            return { address, r: await unary<ListTerminalsResponse>(c.listTerminals.bind(c), ListTerminalsRequest.fromPartial({ prefix, limit: 5000 })) };
          } catch (e) {
            return { address, error: (e as ServiceError).details || String(e) };
          }
        }),
      );
      const rows = new Map<string, ReturnType<typeof terminalView>>();
      for (const a of answers) {
        for (const t of a.r?.terminals ?? []) {
          const held = rows.get(t.address);
          // Online somewhere beats offline elsewhere (a terminal that moved to another instance).
          if (held && (held.online || t.state !== TerminalState.TERMINAL_STATE_ONLINE)) continue;
          rows.set(t.address, terminalView(t));
          if (t.state === TerminalState.TERMINAL_STATE_ONLINE) this.holder.set(t.address, a.address);
        }
      }
      const day = Number(req.query['day']) || 0;
      const rates = new Map<string, { plan: string; rate: number; present: number; expected: number }>();
      if (day > 0) {
        const plans = await unary<ListPlansResponse>(g.collection.listPlans.bind(g.collection), ListPlansRequest.fromPartial({})).catch(() => ({ plans: [] }));
        for (const p of plans.plans) {
          const r = await unary<GetSuccessRateResponse>(g.collection.getSuccessRate.bind(g.collection), GetSuccessRateRequest.fromPartial({ plan: p.name, dayStartMs: day, by: RateGrouping.RATE_GROUPING_TERMINAL })).catch(() => undefined);
          for (const x of r?.rates ?? []) if (!rates.has(x.key)) rates.set(x.key, { plan: p.name, rate: x.rate, present: Number(x.present), expected: Number(x.expected) });
        }
      }
      const list = [...rows.values()].map((t) => ({ ...t, collection: rates.get(t.address) ?? null }));
      return { terminals: list, online: list.filter((t) => t.online).length, offline: list.filter((t) => !t.online).length, errors: answers.filter((a) => a.error).map((a) => `${a.address}: ${a.error}`) };
    });
  }

  /**
   * Server-sent events: a terminal's traffic (TerminalService.WatchTraffic on the instance holding it),
   * each read or write with its frames decoded by the frame inspector's code (libs/protocols describe).
   */
  @Get('api/terminals/:address/traffic')
  traffic(@Param('address') address: string, @Req() req: Request, @Res() res: Response): void {
    if (!this.openEvents(req, res)) return;
    void this.commClients().then((clients) => {
      const from = this.holder.get(address);
      this.relayTraffic(address, clients.find(([a]) => a === from)?.[1] ?? clients[0]![1], req, res);
    });
  }

  private relayTraffic(address: string, client: TerminalServiceClient, req: Request, res: Response): void {
    // One deframer per direction: a frame split over two reads is decoded once it is whole.
    const deframers = { up: createAutoDeframer(), down: createAutoDeframer() };
    const stream: ClientReadableStream<WatchTrafficResponse> = client.watchTraffic(WatchTrafficRequest.fromPartial({ terminal: address }));
    this.relay(
      stream,
      req,
      res,
      (u) => {
        if (u.caughtUp && !u.chunk) {
          event(res, 'caught-up', {});
          return;
        }
        const c = u.chunk!;
        const up = c.direction === Direction.DIRECTION_UPLINK;
        const frames = deframers[up ? 'up' : 'down'].push(c.bytes).map((e) => describeEvent(e));
        event(res, 'traffic', { atMs: Number(c.atMs), direction: up ? 'in' : 'out', hex: Buffer.from(c.bytes).toString('hex'), truncated: c.truncated, frames });
      },
      () => event(res, 'ended', {}),
    );
  }

  // --- agents and pods --------------------------------------------------------------------------------

  /**
   * The station pods' load with the agents each holds (EdgeControlService.GetLoad on every
   * communication instance) and the rebalancer's latest periods (RebalancerService.ListDecisions).
   */
  @Get('api/pods')
  pods(@Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      this.session(req);
      const r = this.grpc().rebalancer;
      if (!r) return { rebalancer: false, pods: [], decisions: [], periodMs: 0, errors: [] };
      const [loads, decisions] = await Promise.all([
        Promise.all(
          (await this.commInstances()).map(async ([address, c]) => {
            try {
              return { address, load: await unary<GetLoadResponse>(c.edge.getLoad.bind(c.edge), GetLoadRequest.fromPartial({})) };
            } catch (e) {
              return { address, error: (e as ServiceError).details || String(e) };
            }
          }),
        ),
        unary<ListDecisionsResponse>(r.listDecisions.bind(r), ListDecisionsRequest.fromPartial({ limit: 60 })),
      ]);
      return {
        rebalancer: true,
        periodMs: Number(decisions.periodMs),
        decisions: decisions.decisions.map(decisionView),
        pods: loads.filter((l) => l.load).map(({ load: l }) => ({ pod: l!.pod, address: l!.address, recordsPerSecond: l!.recordsPerSecond, queue: l!.queueLength, cpu: l!.cpu, agents: l!.agents.map((a) => ({ agentId: a.agentId, site: a.site, recordsPerSecond: a.recordsPerSecond, connectedAtMs: Number(a.connectedAtMs) })) })),
        errors: loads.filter((l) => l.error).map((l) => `${l.address}: ${l.error}`),
      };
    });
  }

  /** Server-sent events: every rebalancing period's decision (RebalancerService.WatchDecisions). */
  @Get('api/pods/live')
  podsLive(@Req() req: Request, @Res() res: Response): void {
    if (!this.openEvents(req, res)) return;
    const r = this.grpc().rebalancer;
    if (!r) {
      event(res, 'failed', { message: 'no rebalancer: the embedded station is one process' });
      res.end();
      return;
    }
    const stream: ClientReadableStream<WatchDecisionsResponse> = r.watchDecisions(WatchDecisionsRequest.fromPartial({}));
    this.relay(stream, req, res, (u) => event(res, 'decision', decisionView(u.decision!)));
  }

  // --- the grid and its outages ---------------------------------------------------------------------

  /** Substations, feeders and transformer areas (TopologyService.GetTopology). */
  @Get('api/grid')
  grid(@Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      this.session(req);
      const t = this.grpc().topology;
      const r = await unary<GetTopologyResponse>(t.getTopology.bind(t), GetTopologyRequest.fromPartial({ downTo: ElementKind.ELEMENT_KIND_TRANSFORMER_AREA, limit: 20_000 }));
      return { version: Number(r.version), truncated: r.truncated, nodes: r.nodes.map((n) => ({ id: n.id, level: kindName(n.kind), parent: n.parentId, name: n.name, meters: n.meterCount, terminals: n.terminals })) };
    });
  }

  /**
   * Server-sent events: "alert" for every alert open in the last day (QueryAlerts), then every new
   * revision as analytics publishes it (SubscribeAlerts), cleared ones included.
   */
  @Get('api/alerts/live')
  alerts(@Req() req: Request, @Res() res: Response): void {
    if (!this.openEvents(req, res)) return;
    const a = this.grpc().alerts;
    const send = (x: Alert) => event(res, 'alert', alertView(x));
    const stream: ClientReadableStream<SubscribeAlertsResponse> = a.subscribeAlerts(SubscribeAlertsRequest.fromPartial({}));
    // Revisions that arrive while the query runs are held and sent after it, so none is lost or reordered.
    const held: Alert[] = [];
    let replayed = false;
    this.relay(stream, req, res, (u) => (replayed ? send(u.alert!) : held.push(u.alert!)));
    void unary<QueryAlertsResponse>(a.queryAlerts.bind(a), QueryAlertsRequest.fromPartial({ fromMs: Date.now() - 86_400_000, filter: AlertFilter.fromPartial({ excludeCleared: true }), limit: 1000 }))
      .then((r) => {
        const seen = new Map<string, number>();
        for (const x of [...r.alerts].reverse()) {
          send(x);
          seen.set(x.alertId, x.revision);
        }
        for (const x of held) if (x.revision > (seen.get(x.alertId) ?? 0)) send(x);
        replayed = true;
        event(res, 'ready', {});
      })
      .catch((e: ServiceError) => {
        event(res, 'failed', { message: e.details || e.message });
        stream.cancel();
      });
  }

  /**
   * One quantity of a meter over the `hours` up to its latest data time in a VEE view
   * (CollectionService.GetValues: raw, validated with the rules that flagged values, or estimated).
   */
  @Get('api/meters/:id/values')
  values(@Param('id') id: string, @Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      this.session(req);
      const views: Record<string, ValueView> = { raw: ValueView.VALUE_VIEW_RAW, validated: ValueView.VALUE_VIEW_VALIDATED, estimated: ValueView.VALUE_VIEW_ESTIMATED };
      const view = views[String(req.query['view'])];
      if (view === undefined) throw new BadRequest('view must be raw, validated or estimated');
      const quantity = String(req.query['quantity'] || 'power.active.total');
      const hours = Math.min(24 * 31, Math.max(0.1, Number(req.query['hours']) || 1));
      const g = this.grpc();
      const latest = await unary<GetLatestReadingsResponse>(g.readings.getLatestReadings.bind(g.readings), GetLatestReadingsRequest.fromPartial({ meterId: id }));
      const to = latest.readings.filter((x) => x.quantity === quantity).reduce((m, x) => Math.max(m, Number(x.dataTimeMs)), 0) + 1 || Date.now();
      const from = to - hours * 3_600_000;
      const r = await unary<GetValuesResponse>(g.collection.getValues.bind(g.collection), GetValuesRequest.fromPartial({ meterId: id, quantity, fromMs: from, toMs: to, view }));
      return { meterId: id, quantity, fromMs: from, toMs: to, values: r.values.map((v) => ({ atMs: Number(v.dataTimeMs), value: v.value, quality: v.quality, rules: v.rules, method: v.method, raw: v.raw ?? null })) };
    });
  }

  // --- programs ---------------------------------------------------------------------------------------

  @Get('api/programs')
  programsList(@Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      this.session(req);
      const [slots, programs] = await Promise.all([unary<ListSlotsResponse>(this.programs.listSlots.bind(this.programs), ListSlotsRequest.fromPartial({})), unary<ListProgramsResponse>(this.programs.listPrograms.bind(this.programs), ListProgramsRequest.fromPartial({}))]);
      return {
        slots: slots.slots.map((s) => ({ name: s.name, description: s.description, pool: s.pool, fields: s.fields })),
        programs: programs.programs.map((p) => ({ name: p.name, version: p.version, slot: p.slot, stage: stageName(p.stage), owner: p.owner, private: p.private })),
      };
    });
  }

  @Post('api/programs/:name/:version/advance')
  advance(@Param('name') name: string, @Param('version') version: string, @Body() body: { to?: string }, @Req() req: Request, @Res() res: Response): void {
    void this.guardAsync(res, async () => {
      const s = this.change(req, 'operator', 'Releasing a program');
      const to = ProgramStage[`PROGRAM_STAGE_${String(body?.to ?? '').toUpperCase()}` as keyof typeof ProgramStage];
      if (to === undefined) throw new AuthError(403, `unknown stage "${body?.to}"`);
      const r = await unary<AdvanceProgramResponse>(this.programs.advanceProgram.bind(this.programs), AdvanceProgramRequest.fromPartial({ name, version, to, by: s.user }));
      return { program: { name: r.program!.name, version: r.program!.version, stage: stageName(r.program!.stage) } };
    });
  }

  // --- helpers ----------------------------------------------------------------------------------------

  private session(req: Request): Session {
    return this.o.sessions.get(cookie(req.headers.cookie, COOKIE));
  }

  /** A state change: same origin, a session, its CSRF token, and the role. */
  private change(req: Request, need: Role, action: string): Session {
    this.sameOrigin(req);
    const s = this.session(req);
    this.o.sessions.authorize(s, req.header('x-csrf-token'), need, action);
    return s;
  }

  private sameOrigin(req: Request): void {
    const origin = req.header('origin');
    if (origin && new URL(origin).host !== req.header('host')) throw new AuthError(403, `requests from ${origin} are not accepted`);
  }

  /** Starts an event stream for a signed-in session; answers 401 and returns false otherwise. */
  private openEvents(req: Request, res: Response): boolean {
    try {
      this.session(req);
    } catch (e) {
      this.fail(res, e);
      return false;
    }
    this.sse(res);
    return true;
  }

  /**
   * A gRPC server stream as server-sent events: each message through `data`; a failure as "failed"
   * with the service's words (a cancel is the browser leaving, not a failure); the stream is cancelled
   * when the browser goes.
   */
  private relay<T>(stream: ClientReadableStream<T>, req: Request, res: Response, data: (x: T) => void, ended?: () => void): void {
    stream.on('data', data);
    stream.on('error', (e: ServiceError) => {
      if (e.code !== 1) event(res, 'failed', { message: e.details || e.message });
      res.end();
    });
    stream.on('end', () => {
      ended?.();
      res.end();
    });
    req.on('close', () => stream.cancel());
  }

  private sse(res: Response): void {
    res.status(200).setHeader('Content-Type', 'text/event-stream').setHeader('Cache-Control', 'no-cache').setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(': connected\n\n');
  }

  private guard(res: Response, f: () => unknown): void {
    try {
      res.json(f());
    } catch (e) {
      this.fail(res, e);
    }
  }

  private async guardAsync(res: Response, f: () => Promise<unknown>): Promise<void> {
    try {
      res.json(await f());
    } catch (e) {
      this.fail(res, e);
    }
  }

  private fail(res: Response, e: unknown): void {
    if (e instanceof BadRequest) {
      res.status(400).json({ error: e.message });
      return;
    }
    if (e instanceof AuthError) {
      res.status(e.status).json({ error: e.message });
      return;
    }
    const g = e as ServiceError;
    // gRPC codes a caller can act on map to 4xx; the message is the service's own.
    const status = g.code === 3 || g.code === 9 ? 400 : g.code === 5 ? 404 : g.code === 7 ? 403 : 502;
    res.status(status).json({ error: g.details || (e instanceof Error ? e.message : String(e)) });
  }
}

/** A request the console itself refuses (before any service is asked). */
class BadRequest extends Error {}

function event(res: Response, name: string, data: unknown): void {
  res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}

function decisionView(d: RebalanceDecision) {
  return {
    id: d.decisionId,
    period: Number(d.period),
    atMs: Number(d.atMs),
    mean: d.mean,
    hotspots: d.hotspots,
    pods: d.pods.map((p) => ({ pod: p.pod, score: p.score, recordsPerSecond: p.recordsPerSecond, queue: p.queueLength, cpu: p.cpu, overPeriods: p.overPeriods, agents: p.agents })),
    moves: d.moves.map((m) => ({ agentId: m.agentId, from: m.fromPod, to: m.toPod, recordsPerSecond: m.recordsPerSecond, told: m.told })),
  };
}

function terminalView(t: ListTerminalsResponse['terminals'][number]) {
  return {
    address: t.address,
    online: t.state === TerminalState.TERMINAL_STATE_ONLINE,
    protocol: (Protocol[t.protocol] ?? String(t.protocol)).replace('PROTOCOL_', ''),
    remote: t.remote,
    connectedAtMs: Number(t.connectedAtMs),
    lastSeenMs: Number(t.lastSeenMs),
    framesReceived: Number(t.framesReceived),
    disconnectedAtMs: Number(t.disconnectedAtMs),
    disconnectReason: t.disconnectReason,
    servedBy: t.servedBy,
  };
}

function kindName(k: ElementKind): string {
  return ({ [ElementKind.ELEMENT_KIND_SUBSTATION]: 'substation', [ElementKind.ELEMENT_KIND_FEEDER]: 'feeder', [ElementKind.ELEMENT_KIND_TRANSFORMER_AREA]: 'area', [ElementKind.ELEMENT_KIND_METER_BOX]: 'box', [ElementKind.ELEMENT_KIND_METER]: 'meter' } as Record<number, string>)[k] ?? 'other';
}

function alertView(a: Alert) {
  return {
    id: a.alertId,
    kind: (AlertKind[a.kind] ?? String(a.kind)).replace('ALERT_KIND_', '').toLowerCase(),
    state: (AlertState[a.state] ?? String(a.state)).replace('ALERT_STATE_', '').toLowerCase(),
    revision: a.revision,
    level: kindName(a.elementKind),
    element: a.elementId,
    area: a.transformerAreaId,
    feeder: a.feederId,
    substation: a.substationId,
    meters: a.affectedMeterCount,
    confidence: a.confidence,
    detectedAtMs: Number(a.detectedAtMs),
    clearedAtMs: Number(a.clearedAtMs),
    supersededBy: a.supersededBy,
  };
}

function stageName(s: ProgramStage): string {
  return (ProgramStage[s] ?? String(s)).replace('PROGRAM_STAGE_', '');
}

function view(t: TaskSet) {
  return { id: t.id, name: t.name, service: t.service, total: t.total, counts: t.counts, cancelled: t.cancelled, createdAtMs: Number(t.createdAtMs), finishedAtMs: Number(t.finishedAtMs), user: t.context?.user ?? '' };
}
