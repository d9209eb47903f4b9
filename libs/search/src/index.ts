export type { Clause, ClauseKind, Comparator } from './filter';
export {
  SearchSyntaxError,
  parseExperimentFilter,
  parseLoggedModelFilter,
  parseModelVersionFilter,
  parseRegisteredModelFilter,
  parseRunFilter,
} from './filter';
export type { OrderTerm } from './order-by';
export {
  parseExperimentOrderBy,
  parseModelVersionOrderBy,
  parseRegisteredModelOrderBy,
  parseRunOrderBy,
} from './order-by';
export { decodeKeysetToken, decodeOffsetToken, encodeKeysetToken, encodeOffsetToken } from './page-token';
export { likeToRegExp } from './like';
