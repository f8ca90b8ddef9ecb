/** The SIP message layer (RFC 3261 sections 7, 19, 20, 25): parsing, typed header values, validation, building. */
export * from './types.js';
export { Headers, canonicalHeaderName } from './headers.js';
export { parseMessage, DEFAULT_MAX_MESSAGE_SIZE, type ParseOptions } from './parser.js';
export { serializeMessage, startLine } from './serializer.js';
export { parseUri, formatUri } from './uri.js';
export {
  parseNameAddr,
  parseNameAddrList,
  parseContacts,
  formatNameAddr,
  tagOf,
  tagOfValue,
} from './name-addr.js';
export {
  parseVia,
  parseVias,
  firstVia,
  rememberFirstVia,
  formatVia,
  branchOf,
  type FirstVia,
} from './via.js';
export { parseHeaderParams, formatParams, isPlainParamValue } from './params.js';
export { parseCSeq, formatCSeq, MAX_CSEQ } from './cseq.js';
export { parseMaxForwards, parseDeltaSeconds, parseContentLength, MAX_UINT32 } from './scalar-headers.js';
export { optionTags } from './option-tags.js';
export { quote, unquote, isToken, splitList } from './lexical.js';
export {
  validateRequest,
  validateResponse,
  type RequestValidation,
  type ResponseValidation,
  type ResponseValidationOptions,
} from './validate.js';
export {
  createResponse,
  createResponseFromHeaders,
  reasonPhrase,
  type CreateResponseOptions,
} from './response.js';
