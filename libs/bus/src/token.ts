export const BUS = Symbol.for('gridstation.bus');
