/** Base class of every error the SDK raises on purpose. */
export class AgentOpsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The agent is paused (by an operator, a budget or the kill switch of its agent): the platform refuses its events and
 * its policy checks answer `block` / `agent_paused`. Raised by `checkPolicy` and, in strict mode, by the record calls.
 */
export class AgentPausedError extends AgentOpsError {
  readonly agent: string;
  readonly code = "agent_paused";
  constructor(agent: string, message?: string) {
    super(message ?? `The agent ${agent} is paused: its events are not sent and its actions are blocked until it is resumed.`);
    this.agent = agent;
  }
}

/** A missing or wrong setting (raised only in strict mode; otherwise logged once). */
export class ConfigurationError extends AgentOpsError {}

/** A record call without a field the server needs (raised only in strict mode; otherwise logged and dropped). */
export class ValidationError extends AgentOpsError {}
