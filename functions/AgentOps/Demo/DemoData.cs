using AgentOps.ApiKeys;
using AgentOps.Audit;
using AgentOps.Auth;
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
        var existing = await db.WithoutOrgAsync(tx => tx.ScalarAsync<Guid?>("SELECT org_id FROM auth_login_candidates($1) LIMIT 1", ct, demo.Email), ct);
        var keyExists = await db.WithoutOrgAsync(tx => tx.ScalarAsync<Guid?>("SELECT id FROM auth_api_key($1)", ct, prefix), ct) is not null;
        if (existing is not null && keyExists) return false;

        var orgId = existing ?? Guid.CreateVersion7();
        var system = new Actor(ActorType.System, null, new RequestInfo(null, "agentops demo seed"));
        // Across organizations only in name: the seed runs the real ingest path (BatchProcessor enters the batch's
        // organization itself), in the one transaction that creates this organization.
        await db.AcrossOrgsAsync(async orgs =>
        {
            var tx = await orgs.EnterAsync(orgId, ct);
            Guid userId;
            if (existing is null)
            {
                userId = Guid.CreateVersion7();
                await TenancyStore.CreateOrganizationAsync(tx, OrgName, ct);
                await UserStore.InsertAsync(tx, userId, demo.Email, "Demo Admin", Passwords.Hash(demo.Password), ct);
                await TenancyStore.AddFirstAdminAsync(tx, Guid.CreateVersion7(), userId, demo.Email, ct);
                await AuditLog.RecordAsync(tx, system, "org.created", "organization", orgId, null, new { name = OrgName, demo = true }, ct);
                await DemoWorkload.SeedAsync(orgs, tx, processor, ct);
            }
            else
            {
                userId = (await tx.ScalarAsync<Guid?>("SELECT user_id FROM organization_members WHERE email = $1", ct, demo.Email))!.Value;
            }
            var keyId = Guid.CreateVersion7();
            await ApiKeyStore.InsertAsync(tx, keyId, new ApiKeyFields("demo key", Scopes.Ingest | Scopes.Read | Scopes.Write, null),
                new Secrets.NewApiKey(demo.ApiKey, prefix, Secrets.Hash(demo.ApiKey)), userId, DateTimeOffset.UtcNow, ct);
            await AuditLog.RecordAsync(tx, system, "api_key.created", "api_key", keyId, null, new { name = "demo key", prefix, demo = true }, ct);
        }, ct);
        return true;
    }
}
