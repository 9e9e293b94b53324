namespace AgentOps.Blobs;

/// <summary>
/// Where large event payloads live (Azure: Blob Storage; self-host: a folder). References are opaque, relative and
/// organization-scoped: a reference is only ever resolved inside the caller's organization.
/// </summary>
public interface IBlobStore
{
    Task<string> PutAsync(Guid orgId, string text, CancellationToken ct);
    Task<string?> GetAsync(Guid orgId, string reference, CancellationToken ct);
}

/// <summary>
/// The one shape of a payload reference, whichever store holds it: "yyyy-MM-dd/&lt;uuid&gt;.txt", relative to the
/// organization's own folder or prefix. Every store hands out <see cref="New"/> and resolves only what passes
/// <see cref="IsValid"/>, so a reference never escapes its organization and GET /payloads/{day}/{name} works on every host.
/// </summary>
public static class BlobReferences
{
    public static string New(TimeProvider time) => $"{time.GetUtcNow():yyyy-MM-dd}/{Guid.CreateVersion7():N}.txt";

    /// <summary>Only the shape stores hand out: no "..", no absolute paths, nothing outside the org's folder.</summary>
    public static bool IsValid(string reference) =>
        reference.Length == 10 + 1 + 32 + 4
        && DateOnly.TryParseExact(reference[..10], "yyyy-MM-dd", out _)
        && reference[10] == '/'
        && reference[11..43].All(Uri.IsHexDigit)
        && reference.EndsWith(".txt", StringComparison.Ordinal);
}
