export { RawFramesConsumer, DEFAULT_PARSER_OPTIONS, type ParserOptions, type ParserStats, type ParsedRecord } from './raw-frames.consumer';
export { ParserFeatureModule } from './parser.module';
