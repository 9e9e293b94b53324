namespace AgentOps.Contracts;

/// <summary>A policy at the version that decided (a policy check's answer, an approval request's cause).</summary>
public sealed record PolicyRef(Guid Id, string Name, int Version);

/// <summary>The ingest limits other features quote (Ingest's <c>IngestLimits</c> holds the rest).</summary>
public static class IngestBatch
{
    /// <summary>Events in one ingest request, at most; an organization's ingest burst must hold one full batch.</summary>
    public const int MaxEvents = 1000;
}
