using AgentOps.ApiKeys;
using AgentOps.Audit;
using AgentOps.Auth;
using AgentOps.Providers.Connections;
using AgentOps.Tenancy;

namespace AgentOps.Demo;

/// <summary>
/// The demo organization that `./agentops up` prints a login for. Idempotent: the first run creates the org, its
/// admin, an API key with the given secret and a week of demo activity (<see cref="DemoWorkload"/>), each written by its
/// owner's store; later runs find them and change nothing. The caller keeps the secrets
/// (./agentops stores them under .agentops/, readable only by its owner).
/// </summary>
public static class DemoData
{
    public const string OrgName = "Demo Org";

    public sealed record Credentials(string Email, string Password, string ApiKey)
    {
        /// <summary>Reads AGENTOPS_DEMO_EMAIL, _PASSWORD and _API_KEY; says which is missing or unusable.</summary>
        public static Credentials From(Func<string, string?> get)
        {
            var email = get("AGENTOPS_DEMO_EMAIL")?.Trim().ToLowerInvariant();
            var password = get("AGENTOPS_DEMO_PASSWORD");
            var key = get("AGENTOPS_DEMO_API_KEY");
            var errors = new List<string>();
            if (string.IsNullOrEmpty(email) || !email.Contains('@', StringComparison.Ordinal)) errors.Add("AGENTOPS_DEMO_EMAIL must be an e-mail address.");
            if (password is null || password.Length < Passwords.MinLength) errors.Add($"AGENTOPS_DEMO_PASSWORD must have at least {Passwords.MinLength} characters.");
            if (key is null || Secrets.ApiKeyPrefix(key) is null) errors.Add("AGENTOPS_DEMO_API_KEY must be an AgentOps key (aok_XXXXXXXX_ + 40 letters or digits).");
            return errors.Count == 0 ? new(email!, password!, key!) : throw new InvalidOperationException("seed-demo: " + string.Join(" ", errors));
        }
    }

    public static async Task<bool> EnsureAsync(Db db, Ingest.BatchProcessor processor, Credentials demo, CancellationToken ct)
    {
        var prefix = Secrets.ApiKeyPrefix(demo.ApiKey)!;
        // Look-ups before any organization is known (SECURITY DEFINER functions, through their owners' stores).
        var admin = (await db.WithoutOrgAsync(tx => UserStore.LoginCandidatesAsync(tx, demo.Email, ct), ct)).FirstOrDefault();
        var existing = admin?.OrgId;
        var keyExists = await db.WithoutOrgAsync(tx => ApiKeyStore.FindByPrefixAsync(tx, prefix, ct), ct) is not null;
        if (existing is not null && keyExists) return false;

        var orgId = existing ?? Guid.CreateVersion7();
        var system = new Actor(ActorType.System, null, new RequestInfo(null, "agentops demo seed"));
        // Across organizations only in name: the seed runs the real ingest path (BatchProcessor enters the batch's
        // organization itself), in the one transaction that creates this organization.
        await db.AcrossOrgsAsync(async orgs =>
        {
            var tx = await orgs.EnterAsync(orgId, ct);
            var userId = admin?.UserId ?? Guid.CreateVersion7();
            if (existing is null)
            {
                await TenancyStore.CreateOrganizationAsync(tx, OrgName, ct);
                await UserStore.InsertAsync(tx, userId, demo.Email, "Demo Admin", Passwords.Hash(demo.Password), ct);
                await TenancyStore.AddFirstAdminAsync(tx, Guid.CreateVersion7(), userId, demo.Email, ct);
                await AuditLog.RecordAsync(tx, system, "org.created", "organization", orgId, null, new { name = OrgName, demo = true }, ct);
                await DemoWorkload.SeedAsync(orgs, tx, processor, ct);
                await AddSimulatedConnectionAsync(tx, system, userId, ct);
            }
            var keyId = Guid.CreateVersion7();
            await ApiKeyStore.InsertAsync(tx, keyId, new ApiKeyFields("demo key", Scopes.Ingest | Scopes.Read | Scopes.Write, null),
                new Secrets.NewApiKey(demo.ApiKey, prefix, Secrets.Hash(demo.ApiKey)), userId, DateTimeOffset.UtcNow, ct);
            await AuditLog.RecordAsync(tx, system, "api_key.created", "api_key", keyId, null, new { name = "demo key", prefix, demo = true }, ct);
        }, ct);
        return true;
    }

    /// <summary>The connection the demo calls models through, with no internet and no secret: the simulated provider, a default model per task.</summary>
    public static readonly ConnectionDraft SimulatedConnection = new("simulated", "simulated", null, new ConnectionOptions { Seed = 42, LatencyMs = 150 },
        [new DeclaredModel("sim-large", ["json_schema", "streaming", "text", "tools", "vision"]), new DeclaredModel("sim-small", ["streaming", "text"])],
        new Dictionary<string, string> { ["chat"] = "sim-large", ["embedding"] = "sim-small", ["judge"] = "sim-large", ["synthetic"] = "sim-small" }, true);

    private static async Task AddSimulatedConnectionAsync(Tx tx, Actor system, Guid userId, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var created = await ProviderConnectionStore.InsertAsync(tx, id, SimulatedConnection, null, null, userId, ct);
        await AuditLog.RecordAsync(tx, system, "provider_connection.created", "provider_connection", id, null, ConnectionView.Of(created), ct);
    }
}
