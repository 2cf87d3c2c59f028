#!/usr/bin/env node
// Health probes for tools/infra/infra.sh: a real client round trip per service, using the same client
// libraries as the product. Prints one line describing the service and exits 0 when healthy.
//   node probe.js kafka 127.0.0.1:9092
//   node probe.js hbase 127.0.0.1:9090
'use strict';

const [, , service, address] = process.argv;
const TIMEOUT_MS = 5000;

function fail(err) {
  console.error(`${service} probe failed: ${err && err.message ? err.message : err}`);
  process.exit(1);
}

setTimeout(() => fail(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref();

async function probeKafka() {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'infra-probe',
    brokers: [address],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    const versions = await admin.describeConfigs({
      resources: [{ type: 4, name: String(cluster.controller ?? cluster.brokers[0].nodeId) }],
      includeSynonyms: false,
    }).catch(() => undefined);
    const quorum = versions ? 'configs readable' : 'configs unreadable';
    console.log(`Kafka ${cluster.brokers.map((b) => `${b.host}:${b.port}`).join(',')} cluster ${cluster.clusterId}, controller ${cluster.controller}, ${quorum}`);
  } finally {
    await admin.disconnect();
  }
}

async function probeHBase() {
  const thrift = require('thrift');
  const THBaseService = require('../../libs/hbase/src/generated/THBaseService');
  const [host, port] = address.split(':');
  const conn = thrift.createConnection(host, Number(port), {
    transport: thrift.TBufferedTransport,
    protocol: thrift.TCompactProtocol,
    connect_timeout: 2000,
  });
  await new Promise((resolve, reject) => {
    conn.once('connect', resolve);
    conn.once('error', reject);
  });
  const client = thrift.createClient(THBaseService, conn);
  const namespaces = await new Promise((resolve, reject) =>
    client.listNamespaces((err, res) => (err ? reject(err) : resolve(res))),
  );
  const tables = await new Promise((resolve, reject) =>
    client.getTableNamesByNamespace('default', (err, res) => (err ? reject(err) : resolve(res))),
  );
  conn.end();
  console.log(`HBase thrift2 ${address}: namespaces [${namespaces.join(',')}], ${tables.length} tables in default`);
}

const probes = { kafka: probeKafka, hbase: probeHBase };
if (!probes[service] || !address) fail(new Error('usage: probe.js kafka|hbase host:port'));
probes[service]().then(() => process.exit(0), fail);
