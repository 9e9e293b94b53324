using AgentOps.Audit;
using AgentOps.Auth;

namespace AgentOps.Demo;

/// <summary>
/// The demo organization that `./agentops up` prints a login for. Idempotent: the first run creates the org, its
/// admin, an API key with the given secret and a week of demo activity (<see cref="DemoWorkload"/>); later runs find them and change nothing. The caller keeps the secrets
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
                await tx.ExecuteAsync("INSERT INTO organizations (id, name) VALUES ($1, $2)", ct, orgId, OrgName);
                await tx.ExecuteAsync("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Demo Admin', $3)", ct, userId, demo.Email, Passwords.Hash(demo.Password));
                await tx.ExecuteAsync("INSERT INTO organization_members (id, org_id, user_id, email, role, status) VALUES ($1, $2, $3, $4, 'admin', 'active')",
                    ct, Guid.CreateVersion7(), orgId, userId, demo.Email);
                await AuditLog.RecordAsync(tx, system, "org.created", "organization", orgId, null, new { name = OrgName, demo = true }, ct);
                await DemoWorkload.SeedAsync(orgs, tx, processor, ct);
            }
            else
            {
                userId = (await tx.ScalarAsync<Guid?>("SELECT user_id FROM organization_members WHERE email = $1", ct, demo.Email))!.Value;
            }
            var keyId = Guid.CreateVersion7();
            await tx.ExecuteAsync("""
                INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_by)
                VALUES ($1, $2, 'demo key', $3, $4, ARRAY['ingest', 'read', 'write'], $5)
                """, ct, keyId, orgId, prefix, Secrets.Hash(demo.ApiKey), userId);
            await AuditLog.RecordAsync(tx, system, "api_key.created", "api_key", keyId, null, new { name = "demo key", prefix, demo = true }, ct);
        }, ct);
        return true;
    }
}
