import { ALL_SCHEMAS, ConfigError, commConfigSchema, loadConfig, stationConfigSchema, storageConfigSchema, unknownVariables } from './index';

describe('loadConfig', () => {
  it('applies defaults for the storage service', () => {
    const c = loadConfig('storage', storageConfigSchema, { GS_INSTANCE_ID: 'st-0' });
    expect(c.service).toBe('storage');
    expect(c.http.port).toBe(8083);
    expect(c.grpc.port).toBe(50053);
    expect(c.bus).toEqual({ kind: 'kafka', brokers: ['127.0.0.1:9092'], clientId: 'storage-st-0', partitionsConcurrency: 32, pipelined: false });
    expect(c.clickhouse.urls).toEqual(['http://127.0.0.1:8123']);
    expect(c.hbase).toMatchObject({ host: '127.0.0.1', port: 9090, poolSize: 4 });
  });

  it('parses lists and numbers from text', () => {
    const c = loadConfig('storage', storageConfigSchema, {
      GS_KAFKA_BROKERS: 'k1:9092, k2:9092',
      GS_CLICKHOUSE_URLS: 'http://ch1:8123,http://ch2:8123',
      GS_HTTP_PORT: '9999',
    });
    expect(c.bus.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(c.clickhouse.urls).toHaveLength(2);
    expect(c.http.port).toBe(9999);
  });

  it('rejects bad values with every problem named', () => {
    let err: unknown;
    try {
      loadConfig('comm', commConfigSchema, { GS_HTTP_PORT: '70000', GS_KAFKA_BROKERS: 'nohost', GS_REDIS_URL: 'http://x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.join('\n');
    expect(issues).toContain('GS_HTTP_PORT');
    expect(issues).toContain('GS_KAFKA_BROKERS');
    expect(issues).toContain('GS_REDIS_URL');
  });

  it('treats empty variables as unset and ignores foreign ones', () => {
    const c = loadConfig('station', stationConfigSchema, { GS_BUS: '', PATH: '/bin', GS_RUN_SECONDS: '5' });
    expect(c.bus.kind).toBe('memory');
    expect(c.runSeconds).toBe(5);
  });

  it('names GS_ variables no service reads, with the closest known name; one another service reads is fine', () => {
    const unknown = unknownVariables({ GS_BATCH_DELAY: '10', GS_KAFKA_BROKERS: 'x:1', GS_SIM_TERMINALS: '3', GS_ZZZZZZZZZZZZZZZZ: '1', PATH: '/bin' }, ALL_SCHEMAS);
    expect(unknown).toEqual([{ name: 'GS_BATCH_DELAY', closest: 'GS_BATCH_DELAY_MS' }, { name: 'GS_ZZZZZZZZZZZZZZZZ' }]);
    // The tooling's own variables (tools/infra ports, test and benchmark sizes) are not the services' business.
    expect(unknownVariables({ GS_KAFKA_PORT: '9092', GS_E2E_TERMINALS: '10', GS_INFRA_DIR: '/x' }, ALL_SCHEMAS)).toEqual([]);
  });
});
