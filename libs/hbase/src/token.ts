export const HBASE = Symbol.for('gridstation.hbase');
