export * from './frame';
export { lookup1997, lookup2007, type DataItemDef, type FieldDef, type FieldFormat } from './registry';
