export const CLICKHOUSE = Symbol.for('gridstation.clickhouse');
