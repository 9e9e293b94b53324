namespace AgentOps.Contracts;

/// <summary>
/// The body of an action that records why it was taken (pause, resume, kill, terminate, suspend). One type, so the
/// OpenAPI document has one <c>ReasonRequest</c> schema; each action says whether the reason is required.
/// </summary>
public sealed record ReasonRequest(string? Reason);
