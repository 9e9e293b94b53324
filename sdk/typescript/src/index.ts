export {
  AgentOps,
  Run,
  Span,
  PolicyDecision,
  init,
  getClient,
  traced,
  errorValue,
  SDK_VERSION,
  DEFAULT_MAX_QUEUE_EVENTS,
  DEFAULT_BATCH_MAX_EVENTS,
  DEFAULT_BATCH_MAX_BYTES,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_FLUSH_TIMEOUT_MS,
  EXIT_FLUSH_TIMEOUT_MS,
  DEFAULT_POLICY_TIMEOUT_MS,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  APPROVAL_POLL_MAX_S,
  DEFAULT_AGENT,
} from "./client.js";
export type {
  AgentOpsOptions,
  Logger,
  Parent,
  RecordOptions,
  LlmCallOptions,
  ToolCallOptions,
  ExternalActionOptions,
  LogOptions,
  ScoreOptions,
  StartRunOptions,
  EndOptions,
  SpanOptions,
  ApprovalInfo,
  ApprovalResult,
  WaitOptions,
  CheckPolicyOptions,
} from "./client.js";
export { AgentOpsError, AgentPausedError, ConfigurationError, ValidationError } from "./errors.js";
export {
  RETRY_BASE_MS,
  RETRY_CAP_MS,
  GZIP_MIN_BYTES,
  REQUEST_TIMEOUT_MS,
  PAUSED_PROBE_INTERVAL_MS,
} from "./transport.js";
export type { Stats, FlushResult } from "./transport.js";
export { wrapOpenAI, STREAM_OUTPUT_MAX_CHARS } from "./openai.js";
export type { WrapOpenAIOptions, UsageInfo } from "./openai.js";
