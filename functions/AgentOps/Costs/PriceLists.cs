using System.Security.Cryptography;
using System.Text.Json;
using AgentOps.Platform.Events;
using Microsoft.Extensions.Logging;

namespace AgentOps.Costs;

/// <summary>One public price as a price list file states it (model_prices' columns, per 1M tokens in micro-dollars).</summary>
public sealed record PriceListRow(string Provider, string Model, string[] Aliases, long InputPerMtokMicros, long OutputPerMtokMicros,
    long? CachedInputPerMtokMicros, DateTimeOffset EffectiveFrom, DateTimeOffset? EffectiveTo, string Source);

/// <summary>A version of the public price list: when its sources were read, its rows, and the checksum of its file.</summary>
public sealed record PriceList(string Version, DateOnly ReadOn, IReadOnlyList<PriceListRow> Prices, string Checksum);

/// <summary>
/// The public model price list is reference data the application ships and versions (Costs/prices/&lt;version&gt;.json,
/// embedded; dated and sourced), not a migration: a new list is a new file. At start-up, as the schema owner and after
/// the migrations, every version the database has not recorded is applied in version order — its rows upserted into
/// the public rows of model_prices by (provider, model, effective_from), rows of older lists that it does not name
/// kept (costs are recomputed from them for their dates) — and recorded in price_lists with every row it added or
/// changed, before and after (the system's audit record: a public price belongs to no organization). A recorded
/// version is not applied again, so re-loading is a no-op; a recorded version whose file changed stops start-up, as a
/// changed migration does (publish a new version instead). Organizations' own rows are never touched; they keep
/// overriding the public ones.
/// </summary>
public static class PriceLists
{
    private const long LockKey = 0x4167_5072_6963_6573; // "AgPrices": one applier across replicas

    private static readonly Lazy<IReadOnlyList<PriceList>> EmbeddedLists = new(Load);

    /// <summary>The price lists this build ships, oldest first.</summary>
    public static IReadOnlyList<PriceList> Embedded => EmbeddedLists.Value;

    private sealed record File(string? Version, DateOnly? ReadOn, string? Currency, string? Unit, string[]? Notes, Dictionary<string, string[]>? Sources,
        List<PriceListRow>? Prices);

    private static List<PriceList> Load()
    {
        var assembly = typeof(PriceLists).Assembly;
        var lists = new List<PriceList>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("prices/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var list = Parse(copy.ToArray());
            if (list.Version != Path.GetFileNameWithoutExtension(resource))
                throw new InvalidOperationException($"Price list {resource} says it is version {list.Version}: the file name is the version.");
            lists.Add(list);
        }
        return [.. lists.OrderBy(l => l.Version, StringComparer.Ordinal)];
    }

    /// <summary>Reads and checks a price list file (the shape model_prices' constraints ask for, so a bad file fails here, named).</summary>
    public static PriceList Parse(byte[] utf8)
    {
        var file = JsonSerializer.Deserialize<File>(utf8, Json.Options) ?? throw new InvalidDataException("A price list must be a JSON object.");
        if (string.IsNullOrWhiteSpace(file.Version) || file.ReadOn is null || file.Sources is not { Count: > 0 } || file.Prices is not { Count: > 0 })
            throw new InvalidDataException("A price list needs version, read_on (when its sources were read), sources and prices.");
        if (file.Currency != "USD") throw new InvalidDataException($"Price list {file.Version}: prices are in USD (micro-dollars).");
        foreach (var p in file.Prices)
        {
            var name = $"{file.Version}: {p.Provider}/{p.Model} from {p.EffectiveFrom:O}";
            if (p.Provider != p.Provider?.ToLowerInvariant() || p.Model != p.Model?.ToLowerInvariant() || p.Provider is null || p.Model is null)
                throw new InvalidDataException($"Price list {name}: provider and model must be given in lower case.");
            if (p.InputPerMtokMicros < 0 || p.OutputPerMtokMicros < 0 || p.CachedInputPerMtokMicros < 0)
                throw new InvalidDataException($"Price list {name}: prices must not be negative.");
            if (p.EffectiveTo <= p.EffectiveFrom) throw new InvalidDataException($"Price list {name}: effective_to must be after effective_from.");
            if (string.IsNullOrWhiteSpace(p.Source)) throw new InvalidDataException($"Price list {name}: every price names its source.");
        }
        if (file.Prices.GroupBy(p => (p.Provider, p.Model, p.EffectiveFrom)).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"Price list {file.Version} lists {twice.Key.Provider}/{twice.Key.Model} from {twice.Key.EffectiveFrom:O} twice.");
        return new PriceList(file.Version, file.ReadOn.Value, file.Prices, Convert.ToHexStringLower(SHA256.HashData(utf8)));
    }

    /// <summary>Applies the lists the database has not recorded (as the schema owner); returns the versions applied now.</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(string ownerConnectionString, IEnumerable<PriceList> lists, ILogger logger, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(ct);
        var applied = new List<string>();
        foreach (var list in lists)
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            // No organization and no domain events: the public price list is the system's, applied before the application serves.
            var db = new Tx(connection, tx, Guid.Empty, new RaisedEvents(DomainEvents.None));
            await db.ExecuteAsync("SELECT pg_advisory_xact_lock($1)", ct, LockKey);
            var recorded = await db.ScalarAsync<string>("SELECT checksum FROM price_lists WHERE version = $1", ct, list.Version);
            if (recorded == list.Checksum) continue;
            if (recorded is not null)
                throw new InvalidOperationException($"Price list {list.Version} changed after it was applied (checksum differs). Price lists are versioned: publish a new version.");
            var changes = await db.ListAsync(UpsertSql, r => (Added: r.GetBoolean(0), Change: r.GetString(1)), ct,
                JsonSerializer.Serialize(list.Prices, Json.Options));
            var build = typeof(PriceLists).Assembly.GetName().Version?.ToString() ?? "unknown";
            await db.ExecuteAsync("""
                INSERT INTO price_lists (version, read_on, checksum, applied_by, rows_added, rows_changed, changes)
                VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
                """, ct, list.Version, list.ReadOn, list.Checksum, $"agentops {build} on {Environment.MachineName}",
                changes.Count(c => c.Added), changes.Count(c => !c.Added), $"[{string.Join(",", changes.Select(c => c.Change))}]");
            await tx.CommitAsync(ct);
            applied.Add(list.Version);
            logger.LogInformation("Applied price list {Version} (read on {ReadOn}): {Added} prices added, {Changed} changed",
                list.Version, list.ReadOn, changes.Count(c => c.Added), changes.Count(c => !c.Added));
        }
        return applied;
    }

    // Public rows only (org_id NULL; the partial unique index of 0013). A row whose values are already the list's is not
    // touched (nor reported): applying a list onto the rows it came from changes nothing.
    private const string UpsertSql = """
        WITH listed AS (
          SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(provider text, model text, aliases text[], input_per_mtok_micros bigint,
            output_per_mtok_micros bigint, cached_input_per_mtok_micros bigint, effective_from timestamptz, effective_to timestamptz, source text)
        ),
        before AS (
          SELECT p.* FROM model_prices p JOIN listed l USING (provider, model, effective_from) WHERE p.org_id IS NULL
        ),
        upserted AS (
          INSERT INTO model_prices AS p (id, org_id, provider, model, aliases, input_per_mtok_micros, output_per_mtok_micros, cached_input_per_mtok_micros,
                                         effective_from, effective_to, source)
          SELECT gen_random_uuid(), NULL, provider, model, coalesce(aliases, '{}'), input_per_mtok_micros, output_per_mtok_micros, cached_input_per_mtok_micros,
                 effective_from, effective_to, source
          FROM listed ORDER BY provider, model, effective_from
          ON CONFLICT (provider, model, effective_from) WHERE org_id IS NULL DO UPDATE SET
            aliases = excluded.aliases, input_per_mtok_micros = excluded.input_per_mtok_micros, output_per_mtok_micros = excluded.output_per_mtok_micros,
            cached_input_per_mtok_micros = excluded.cached_input_per_mtok_micros, effective_to = excluded.effective_to, source = excluded.source
          WHERE (p.aliases, p.input_per_mtok_micros, p.output_per_mtok_micros, p.cached_input_per_mtok_micros, p.effective_to, p.source)
                IS DISTINCT FROM (excluded.aliases, excluded.input_per_mtok_micros, excluded.output_per_mtok_micros, excluded.cached_input_per_mtok_micros,
                                  excluded.effective_to, excluded.source)
          RETURNING p.*
        )
        SELECT b.id IS NULL, jsonb_build_object('before', to_jsonb(b), 'after', to_jsonb(u))::text
        FROM upserted u LEFT JOIN before b USING (provider, model, effective_from)
        ORDER BY u.provider, u.model, u.effective_from
        """;
}
