namespace AgentOps.Contracts;

/// <summary>A policy at the version that decided (a policy check's answer, an approval request's cause).</summary>
public sealed record PolicyRef(Guid Id, string Name, int Version);
