export { GsError, DependencyUnavailableError, invalidArgument, notFound, failedPrecondition, permissionDenied, errorMessage, storeOpenError, type ErrorKind } from './errors';
export { classifyError, isDependencyUnavailable, registerUnavailabilityRule, type Classification, type UnavailabilityRule } from './classify';
