export { ParserWorker, DEFAULT_PARSER_OPTIONS, type ParserOptions, type ParserStats } from './parser-worker';
export { ParserFeatureModule } from './parser.module';
