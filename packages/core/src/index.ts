export { AppError, errorStatus, httpStatusOf, isAppError, type ErrorCode } from './errors.ts';
