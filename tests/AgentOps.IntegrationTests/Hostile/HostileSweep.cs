using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentOps.IntegrationTests.Infrastructure;
using Npgsql;

namespace AgentOps.IntegrationTests.Hostile;

/// <summary>
/// Sends every operation of the OpenAPI document its hostile corpus and checks four rules: no 5xx; every 4xx is a
/// problem+json with a string code; a 4xx changed nothing; afterwards every list and detail read still answers 200.
/// <para>Operations run in a few lanes at once, each lane sequentially in an organization of its own, so that the
/// organization's state before and after each request belongs to that request alone. The state is the audit chain
/// head (every state change is audited, in the same transaction) of the lane's and of the other organization, the
/// notification read marks (not audited on purpose), and for the lane that signs up, the accounts and organizations
/// carrying its marker. Ingest is written by workers after the answer: those writes are checked once the queue has
/// drained, by the run and event ids every request carries.</para>
/// </summary>
public sealed partial class HostileSweep(ApiFixture fx)
{
    public const int LaneCount = 4;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _client = CreateClient(fx);
    private readonly ConcurrentQueue<Finding> _findings = new();
    private readonly ConcurrentQueue<string> _notes = new();
    private readonly ConcurrentDictionary<string, int> _undeliverable = new(StringComparer.Ordinal);
    private readonly string _sweepId = Guid.NewGuid().ToString("N")[..8];
    private int _requests;

    private static HttpClient CreateClient(ApiFixture fx)
    {
        var client = fx.Client();
        client.Timeout = RequestTimeout;
        return client;
    }

    private sealed record Answer(int Status, string? MediaType, byte[] Body, Exception? Failure)
    {
        public JsonElement? Json()
        {
            try { return Body.Length == 0 ? null : JsonDocument.Parse(Body).RootElement.Clone(); }
            catch (JsonException) { return null; }
        }

        /// <summary>The problem's code and trace id, or null when this is not an RFC 9457 problem with a string code.</summary>
        public (string Code, string? TraceId)? Problem() =>
            MediaType == "application/problem+json" && Json() is { ValueKind: JsonValueKind.Object } body
            && body.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                ? (code.GetString()!, body.TryGetProperty("trace_id", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null)
                : null;

        public string Text(int max = 300) => Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, max));
    }

    private sealed record Acknowledged(HostileRequest Request, int Status, IReadOnlyList<string> RunIds, IReadOnlyList<string> EventIds);

    private sealed class Lane(int index, SeededTenant tenant, List<ApiOperation> ops, string sweepId)
    {
        private int _serial;

        public int Index => index;
        public SeededTenant Tenant => tenant;
        public List<ApiOperation> Ops => ops;
        /// <summary>Signups create organizations and accounts elsewhere: the lane that sends them counts those with its marker.</summary>
        public bool WatchesSignups => ops.Any(o => o.Anonymous && o.Method != "GET");
        public long[] State { get; set; } = [];
        public Dictionary<string, HostileRequest> NeverStored { get; } = new(StringComparer.Ordinal);
        public List<Acknowledged> Acknowledged { get; } = [];
        /// <summary>
        /// What successful requests created, by the list route that shows it (runs for acknowledged ingest): id to the
        /// request that created it. The read check reads each by id, and names the request when the read fails.
        /// </summary>
        public Dictionary<string, Dictionary<string, string>> Created { get; } = new(StringComparer.Ordinal);

        public void Remember(string list, string id, HostileRequest origin)
        {
            if (!Created.TryGetValue(list, out var ids)) Created[list] = ids = new(StringComparer.Ordinal);
            ids.TryAdd(id, $"{origin.Op.Route}: {origin.Family}{(origin.Where.Length == 0 ? "" : " @ " + origin.Where)}");
        }

        public RequestMarker NextMarker()
        {
            var n = ++_serial;
            return new RequestMarker($"h{sweepId}l{index}n{n}", $"{sweepId}{index:x4}{n:x8}0123456789ab");
        }
    }

    public async Task<HostileReport> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        var document = (await _client.Get("/api/openapi.json")).Expect(200).Body;
        var ops = ApiOperations.From(document, fx.Factory.Services);
        foreach (var gap in ops.SelectMany(HostileTables.Gaps).Concat(HostileTables.StaleEntries(ops)))
            _findings.Enqueue(new Finding(FindingKind.Unseeded, gap[..gap.IndexOf(':', StringComparison.Ordinal)], "cannot be seeded", "", "-", "-", Detail: gap));
        var seedable = ops.Where(o => !HostileTables.Gaps(o).Any()).ToList();

        var strangerSeeding = SeededTenant.CreateAsync(_client, $"h{_sweepId}s");
        var lanes = await Task.WhenAll(AssignLanes(seedable).Select(async (laneOps, i) =>
            new Lane(i, await SeededTenant.CreateAsync(_client, $"h{_sweepId}l{i}"), laneOps, _sweepId)));
        var stranger = await strangerSeeding;
        var phases = new List<string> { $"seeding {clock.Elapsed.TotalSeconds:F1} s" };
        void Phase(string name) => phases.Add($"{name} {clock.Elapsed.TotalSeconds:F1} s");

        await using var db = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.OwnerUrl));
        await Task.WhenAll(lanes.Select(lane => Task.Run(() => RunLaneAsync(lane, stranger, db))));
        Phase("corpus");
        await DrainIngestAsync(db, [.. lanes.Select(l => l.Tenant.Tenant.OrgId), stranger.Tenant.OrgId]);
        foreach (var lane in lanes) await CheckDeferredWritesAsync(lane, db);
        Phase("ingest drained and checked");
        await Task.WhenAll(lanes.Select(l => (l.Tenant, l.Created)).Append((stranger, []))
            .Select(t => Task.Run(() => ReadBackAsync(t.Item1, seedable, t.Item2))));
        Phase("reads checked");
        _notes.Enqueue("phases (time since start): " + string.Join(", ", phases));

        var undeliverable = _undeliverable.OrderBy(u => u.Key, StringComparer.Ordinal).Select(u => $"not deliverable in process (the test host refuses it): {u.Key} ×{u.Value}");
        return new HostileReport(_requests, ops.Count, WithLogLines([.. _findings]), clock.Elapsed, [.. _notes.Order(StringComparer.Ordinal), .. undeliverable]);
    }

    /// <summary>
    /// Lane 0 takes the anonymous writes (it watches signups), lane 1 the routes whose writes come later (nothing else
    /// shares its organization: a kill switch there would refuse every event); the other resource groups go where the
    /// estimated load is least. Deletions come last in their lane, since they remove what the lane's other routes use.
    /// </summary>
    private static List<List<ApiOperation>> AssignLanes(IReadOnlyList<ApiOperation> ops)
    {
        var lanes = Enumerable.Range(0, LaneCount).Select(_ => new List<ApiOperation>()).ToList();
        var load = new long[LaneCount];
        void Put(int lane, IEnumerable<ApiOperation> group)
        {
            foreach (var op in group) { lanes[lane].Add(op); load[lane] += Estimate(op); }
        }
        Put(0, ops.Where(o => o.Anonymous && o.Method != "GET"));
        Put(1, ops.Where(o => HostileTables.Deferred.ContainsKey(o.Route)));
        var placed = lanes.SelectMany(l => l).ToHashSet();
        foreach (var group in ops.Where(o => !placed.Contains(o)).GroupBy(o => o.Group).OrderByDescending(g => g.Sum(Estimate)))
            Put(Enumerable.Range(0, LaneCount).Where(i => i != 1).MinBy(i => load[i]), group);
        return [.. lanes.Select(l => l.OrderBy(o => o.Method == "DELETE").ThenBy(o => o.Path, StringComparer.Ordinal).ThenBy(o => o.Method, StringComparer.Ordinal).ToList())];
    }

    private static long Estimate(ApiOperation op) =>
        10 + 11 * op.PathParameters.Count + 25 * op.Query.Count
        + (HostileTables.ExampleBodies.ContainsKey(op.Route) ? 50 + 50 * Math.Max(op.BodyProperties.Count, 6) : 3);

    private async Task RunLaneAsync(Lane lane, SeededTenant stranger, NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        var sql = """
            SELECT coalesce((SELECT last_index FROM audit_chain_heads WHERE org_id = $1), 0),
                   coalesce((SELECT last_index FROM audit_chain_heads WHERE org_id = $2), 0),
                   (SELECT count(*) FROM notification_reads WHERE org_id = $1)
            """ + (lane.WatchesSignups ? ", (SELECT count(*) FROM users WHERE email LIKE $3) + (SELECT count(*) FROM organizations WHERE name LIKE $3)" : "");
        await using var probe = new NpgsqlCommand(sql, connection);
        probe.Parameters.Add(new NpgsqlParameter { Value = lane.Tenant.Tenant.OrgId });
        probe.Parameters.Add(new NpgsqlParameter { Value = stranger.Tenant.OrgId });
        if (lane.WatchesSignups) probe.Parameters.Add(new NpgsqlParameter { Value = lane.Tenant.Marker + "%" });
        await probe.PrepareAsync();
        lane.State = await ReadStateAsync(probe);

        var corpus = new HostileCorpus(lane.Tenant, stranger, lane.NextMarker);
        var clock = Stopwatch.StartNew();
        var sent = 0;
        foreach (var op in lane.Ops)
            foreach (var request in corpus.For(op))
            {
                await ExecuteAsync(lane, request, probe, db, stranger);
                sent++;
            }
        _notes.Enqueue($"lane {lane.Index}: {lane.Ops.Count} routes, {sent} requests, {clock.Elapsed.TotalSeconds:F0} s ({string.Join(", ", lane.Ops.Select(o => o.Group).Distinct())})");
    }

    private static async Task<long[]> ReadStateAsync(NpgsqlCommand probe)
    {
        await using var reader = await probe.ExecuteReaderAsync();
        await reader.ReadAsync();
        return [.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetInt64)];
    }

    private async Task ExecuteAsync(Lane lane, HostileRequest r, NpgsqlCommand probe, NpgsqlDataSource db, SeededTenant stranger)
    {
        var answer = await SendAsync(r.Op.Method, r.Url, r.Body, r.ContentType, r.Authorization, r.UnknownLength, r.ContentEncoding);
        var before = lane.State;
        lane.State = await ReadStateAsync(probe);
        var status = answer.Status.ToString(CultureInfo.InvariantCulture);
        void Add(FindingKind kind, string code, string? trace = null, string? detail = null, string? statusText = null) =>
            _findings.Enqueue(new Finding(kind, r.Op.Route, r.Family, r.Where, statusText ?? status, code, trace, detail));

        var deferred = HostileTables.Deferred.TryGetValue(r.Op.Route, out var stores) ? stores(r.Marker!) : null;
        if (answer.Failure is { } undeliverable && Undeliverable(undeliverable))
        {
            _undeliverable.AddOrUpdate($"{r.Family}: {FirstLine(undeliverable.Message)}", 1, (_, n) => n + 1);
            return;
        }
        var problem = answer.Failure is null ? answer.Problem() : null;
        if (answer.Failure is { } failure)
            Add(FindingKind.ServerError, failure.GetType().Name, detail: $"no answer: {FirstLine(failure.Message)}",
                statusText: failure is TaskCanceledException ? $"no answer within {RequestTimeout.TotalSeconds:F0} s" : "no answer");
        else if (answer.Status >= 500)
            Add(FindingKind.ServerError, problem?.Code ?? answer.MediaType ?? "empty body", problem?.TraceId, problem is null ? answer.Text(200) : null);
        else if (answer.Status >= 400 && problem is null)
            Add(FindingKind.NonProblem, answer.MediaType ?? "no content type", detail: answer.Body.Length == 0 ? "empty body" : answer.Text(200));
        // Access is decided before any body is read (a logged-out session's later requests are 401 whatever they carry).
        if (r.Expected is { } expected && answer.Failure is null && answer.Status is not (401 or 403) && (answer.Status, problem?.Code) != (expected.Status, expected.Code))
            Add(FindingKind.WrongRefusal, problem?.Code ?? answer.MediaType ?? "empty body", problem?.TraceId,
                $"expected {expected.Status} {expected.Code}: {answer.Text(200)}");
        if (answer.Failure is not null || answer.Status >= 400)
        {
            // A failed request changes nothing either (docs/api.md: "500 internal_error … nothing was changed").
            var code = problem?.Code ?? "-";
            if (!before.SequenceEqual(lane.State) && !HostileTables.WritesByDesign.Contains((answer.Status, code)))
                Add(FindingKind.PartialWrite, code, detail: await WrittenAsync(db, lane, stranger, before));
            if (r.IsBase && answer.Status is 400 or 413 or 415 or 422)
                Add(FindingKind.Unseeded, code, detail: $"the valid request of the tables is refused: {answer.Text()} (fix HostileTables or SeededTenant)");
            if (deferred is not null)
                foreach (var id in deferred.EventIds.Prepend(deferred.RunId)) lane.NeverStored[id] = r;
            return;
        }
        if (r.Denied) Add(FindingKind.AccessViolation, "-", detail: "answered with success although the credentials may not do this");
        if (r.Op.Method == "POST" && HostileTables.PathSeeds.Any(s => s.ListRoute == r.Op.Path) && CreatedId(answer) is { } created)
            lane.Remember(r.Op.Path, created, r);
        if (deferred is not null)
        {
            // A body that names no run stores nothing, by right (an OTLP answer does not count accepted spans: an export
            // whose variant removed the span is a valid empty export).
            var named = RunIdsIn(r.Body);
            if (Accepted(answer) && named.Count > 0) lane.Acknowledged.Add(new Acknowledged(r, answer.Status, [deferred.RunId, .. named], deferred.EventIds));
            else if (r.IsBase) Add(FindingKind.Unseeded, "-", detail: $"the valid request of the tables stores nothing: {answer.Text()}");
        }
    }

    /// <summary>
    /// The in-process test host refuses some requests while it builds their HttpContext, before the application runs
    /// (a NUL character in the path: its URL decoder throws). Kestrel refuses those too, with its own 400 before the
    /// application; neither is the application's answer, so they are reported apart, not as findings.
    /// </summary>
    private static bool Undeliverable(Exception e)
    {
        // The frames before the test host's own are where it threw: the application's pipeline (hosting, middleware, endpoints) is not among them.
        var stack = e.StackTrace ?? "";
        var host = stack.IndexOf("at Microsoft.AspNetCore.TestHost.", StringComparison.Ordinal);
        return host > 0 && !stack[..host].Contains("at AgentOps.", StringComparison.Ordinal) && !stack[..host].Contains("at Microsoft.AspNetCore.Hosting.", StringComparison.Ordinal);
    }

    /// <summary>The id of what a create answered with: its own "id", or that of the one object it wraps ({"job": {...}}).</summary>
    private static string? CreatedId(Answer answer)
    {
        if (answer.Json() is not { ValueKind: JsonValueKind.Object } body) return null;
        if (body.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String) return id.GetString();
        return body.EnumerateObject().Select(p => p.Value)
            .FirstOrDefault(v => v.ValueKind == JsonValueKind.Object && v.TryGetProperty("id", out var inner) && inner.ValueKind == JsonValueKind.String) is { ValueKind: JsonValueKind.Object } wrapped
            ? wrapped.GetProperty("id").GetString()
            : null;
    }

    /// <summary>Whether anything of an answered ingest request was accepted (batch ingest counts, OTLP partial success, a policy decision).</summary>
    private static bool Accepted(Answer answer) => answer.Json() switch
    {
        { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("accepted", out var n) && n.ValueKind == JsonValueKind.Number => n.GetInt32() > 0,
        { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("partialSuccess", out var p) && p.TryGetProperty("rejectedSpans", out var rejected) =>
            rejected.ToString() is "0" or "",
        _ => true,
    };

    /// <summary>The run ids a body names (run_id, run.id, traceId), for acknowledged requests whose variant changed the run id.</summary>
    private static List<string> RunIdsIn(byte[]? body)
    {
        var ids = new List<string>();
        void Walk(JsonElement e, string? name)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        // Names and strings .NET cannot hold (a lone surrogate) name no run.
                        string? key = null, text = null;
                        try { key = p.Name; text = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null; }
                        catch (InvalidOperationException) { }
                        if (text is not null && (key is "run_id" or "traceId" || key == "id" && name == "run"))
                            ids.Add(key == "traceId" ? text.ToLowerInvariant() : text);
                        Walk(p.Value, key);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) Walk(item, name);
                    break;
            }
        }
        try { if (body is { Length: > 0 }) Walk(JsonDocument.Parse(body).RootElement, null); }
        catch (JsonException) { }
        return ids;
    }

    /// <summary>The audit actions written since the state before (what a 4xx changed).</summary>
    private static async Task<string> WrittenAsync(NpgsqlDataSource db, Lane lane, SeededTenant stranger, long[] before)
    {
        await using var cmd = db.CreateCommand("""
            SELECT string_agg(action || ' (' || entity_type || ')', ', ' ORDER BY org_id = $1 DESC, chain_index)
            FROM audit_logs WHERE (org_id = $1 AND chain_index > $2) OR (org_id = $3 AND chain_index > $4)
            """);
        foreach (var value in new object[] { lane.Tenant.Tenant.OrgId, before[0], stranger.Tenant.OrgId, before[1] })
            cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        var audited = await cmd.ExecuteScalarAsync() as string;
        return $"state {string.Join('/', before)} -> {string.Join('/', lane.State)} (audit head, other organization's audit head, read marks{(lane.WatchesSignups ? ", marked signups" : "")})"
               + (audited is null ? "" : "; audited: " + audited);
    }

    private async Task<Answer> SendAsync(string method, string url, byte[]? body, string? contentType, string? authorization, bool unknownLength = false,
        string? contentEncoding = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (body is not null)
        {
            request.Content = unknownLength ? new UnknownLengthContent(body) : new ByteArrayContent(body);
            if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            if (contentEncoding is not null) request.Content.Headers.TryAddWithoutValidation("Content-Encoding", contentEncoding);
        }
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        Interlocked.Increment(ref _requests);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            // An event stream stays open: its answer is the status, the headers and the first event.
            var bytes = mediaType == "text/event-stream" ? await FirstEventAsync(response) : await response.Content.ReadAsByteArrayAsync();
            return new Answer((int)response.StatusCode, mediaType, bytes, null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or InvalidOperationException)
        {
            return new Answer(0, null, [], e);
        }
    }

    /// <summary>
    /// The first event of a stream that stays open (live updates); a streamed answer (delta events) is read to its end
    /// event, as its clients do: a client that leaves early is a different case (the call is closed on record late).
    /// </summary>
    private static async Task<byte[]> FirstEventAsync(HttpResponseMessage response)
    {
        using var timeout = new CancellationTokenSource(RequestTimeout);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var text = new StringBuilder();
        var first = await EventAsync(reader, timeout.Token);
        text.Append(first);
        for (var e = first; e.StartsWith("event: delta", StringComparison.Ordinal); text.Append(e))
            if ((e = await EventAsync(reader, timeout.Token)).Length == 0) break;
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<string> EventAsync(StreamReader reader, CancellationToken ct)
    {
        var text = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { Length: > 0 } line) text.AppendLine(line);
        return text.ToString();
    }

    /// <summary>A body whose length is not announced, so the server meets the limit while reading.</summary>
    private sealed class UnknownLengthContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>Waits until the ingest workers have taken every accepted batch of these organizations (decision events arrive up to 100 ms late).</summary>
    private async Task DrainIngestAsync(NpgsqlDataSource db, Guid[] orgs)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        DateTime? emptySince = null;
        await using var cmd = db.CreateCommand("SELECT count(*) FROM ingest_batches WHERE org_id = ANY($1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = orgs });
        while (true)
        {
            var waiting = (long)(await cmd.ExecuteScalarAsync())!;
            if (waiting > 0) emptySince = null;
            else if ((emptySince ??= DateTime.UtcNow) < DateTime.UtcNow.AddMilliseconds(-400)) return;
            if (DateTime.UtcNow > deadline)
            {
                _findings.Enqueue(new Finding(FindingKind.PoisonedRead, "ingest queue", "accepted batches", "", "-", "not drained",
                    Detail: $"{waiting} accepted batches still wait after 60 s"));
                return;
            }
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// After the workers drained the queue: nothing a 4xx request carried was stored, and everything a 2xx request
    /// acknowledged was (or the read of its run is a poisoned read, with the dead letters that explain it).
    /// </summary>
    private async Task CheckDeferredWritesAsync(Lane lane, NpgsqlDataSource db)
    {
        if (lane.NeverStored.Count == 0 && lane.Acknowledged.Count == 0) return;
        var org = lane.Tenant.Tenant.OrgId;
        var events = await ListAsync(db, "SELECT id, run_id FROM events WHERE org_id = $1", org, r => (Id: r.GetString(0), Run: r.GetString(1)));
        var runs = (await ListAsync(db, "SELECT id FROM runs WHERE org_id = $1", org, r => r.GetString(0))).ToHashSet(StringComparer.Ordinal);
        var deadLetters = await ListAsync(db, "SELECT error FROM ingest_dead_letters WHERE org_id = $1", org, r => r.GetString(0));

        var flagged = new HashSet<HostileRequest>();
        foreach (var (id, run) in events.Select(e => (e.Id, e.Run)).Concat(runs.Select(r => (Id: r, Run: r))))
            if ((lane.NeverStored.GetValueOrDefault(id) ?? lane.NeverStored.GetValueOrDefault(run)) is { } refused && flagged.Add(refused))
                _findings.Enqueue(new Finding(FindingKind.PartialWrite, refused.Op.Route, refused.Family, refused.Where, "refused", "stored later",
                    Detail: $"the ingest workers stored event {id} of run {run} from a refused request"));

        var eventIds = events.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var ack in lane.Acknowledged)
            foreach (var run in ack.RunIds.Where(runs.Contains)) lane.Remember(HostileTables.DeferredRunsList, run, ack.Request);
        var why = deadLetters.Count == 0 ? "" : $"; {deadLetters.Count} dead-lettered batches in this organization: " + string.Join(" / ", deadLetters.Distinct().Take(3));
        foreach (var ack in lane.Acknowledged.Where(a => !a.RunIds.Any(runs.Contains) && !a.EventIds.Any(eventIds.Contains)))
        {
            var read = await ReadAsync($"/api/v1/runs/{Uri.EscapeDataString(ack.RunIds[^1])}", lane.Tenant.AdminToken);
            _findings.Enqueue(new Finding(FindingKind.PoisonedRead, ack.Request.Op.Route, ack.Request.Family, ack.Request.Where,
                $"{ack.Status} then GET /runs/{{id}} {read.Status}", read.Problem()?.Code ?? "-",
                Detail: "acknowledged, never stored" + why));
        }
    }

    private static async Task<List<T>> ListAsync<T>(NpgsqlDataSource db, string sql, Guid org, Func<NpgsqlDataReader, T> read)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = org });
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }

    /// <summary>
    /// Every GET route of the document, as the tenant's admin: each list (every page) and each detail route for every
    /// resource its list shows, and for every run an acknowledged request created (or the seeded resource, when the
    /// list broke before its end) must answer 200 with a readable body.
    /// </summary>
    private async Task ReadBackAsync(SeededTenant tenant, IReadOnlyList<ApiOperation> ops, IReadOnlyDictionary<string, Dictionary<string, string>> created)
    {
        var listed = new Dictionary<string, (HashSet<string> Ids, bool Complete)>(StringComparer.Ordinal);
        foreach (var op in ops.Where(o => o.Method == "GET" && o.PathParameters.Count == 0))
            listed[op.Path] = await ReadListAsync(op, tenant);
        foreach (var op in ops.Where(o => o.Method == "GET" && o.PathParameters.Count > 0))
        {
            var query = HostileTables.ReadQueries.TryGetValue(op.Route, out var q) ? "?" + q : "";
            var parameter = op.PathParameters[0];
            var seed = HostileTables.SeedFor(op, parameter)!;
            IEnumerable<string> ids = [HostileTables.SeedValue(seed, parameter, tenant)];
            var origins = new Dictionary<string, string>(StringComparer.Ordinal);
            if (op.PathParameters.Count == 1 && seed.ListRoute is { } list && listed.TryGetValue(list, out var l))
            {
                // The seeded resource may have been deleted by the corpus: only a list that broke falls back on it.
                ids = l.Complete ? l.Ids : l.Ids.Concat(ids);
                origins = created.GetValueOrDefault(list) ?? origins;
                ids = ids.Concat(origins.Keys);
            }
            var reads = op.PathParameters.Count == 1
                ? ids.Distinct().Select(id => (Path: HostileCorpus.BasePath(op, tenant, new Dictionary<string, string> { [parameter] = Uri.EscapeDataString(id) }), Origin: origins.GetValueOrDefault(id)))
                : [(HostileCorpus.BasePath(op, tenant), null)];
            // Details are many (every acknowledged run, twice): a few at once, like a dashboard would.
            await Parallel.ForEachAsync(reads, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (read, _) => await ReadCheckedAsync(op, read.Path + query, tenant, read.Origin));
        }
    }

    /// <summary>The ids of every item of every page, and whether the list could be read to its end.</summary>
    private async Task<(HashSet<string> Ids, bool Complete)> ReadListAsync(ApiOperation op, SeededTenant tenant)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var query = HostileTables.ReadQueries.TryGetValue(op.Route, out var q) ? q : null;
        var page = await ReadCheckedAsync(op, op.Path + (query is null ? "" : "?" + query), tenant);
        if (page is null) return (ids, false);
        Collect(page, ids);
        // A default page may stop before the resource that breaks: read them all, as large as pages come.
        if (page is { ValueKind: JsonValueKind.Object } first && first.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String
            && op.Query.Any(p => p.Name == "limit"))
        {
            string? cursor = "";
            for (var i = 0; i < 100 && cursor is not null; i++)
            {
                var more = await ReadCheckedAsync(op, $"{op.Path}?limit=200{(cursor.Length == 0 ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", tenant);
                if (more is null) return (ids, false);
                Collect(more, ids);
                cursor = more is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty("next_cursor", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            }
        }
        return (ids, true);
    }

    private static void Collect(JsonElement? page, HashSet<string> ids)
    {
        var items = page switch
        {
            { ValueKind: JsonValueKind.Array } a => a,
            { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("items", out var i) && i.ValueKind == JsonValueKind.Array => i,
            _ => default,
        };
        if (items.ValueKind != JsonValueKind.Array) return;
        foreach (var item in items.EnumerateArray())
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                ids.Add(id.GetString()!);
    }

    private async Task<JsonElement?> ReadCheckedAsync(ApiOperation op, string url, SeededTenant tenant, string? origin = null)
    {
        var answer = await ReadAsync(url, tenant.AdminToken);
        var json = answer.MediaType?.Contains("json", StringComparison.Ordinal) == true ? answer.Json() : null;
        var readable = answer.MediaType?.Contains("json", StringComparison.Ordinal) != true || json is not null;
        if (answer.Failure is not null || answer.Status != 200 || !readable)
            _findings.Enqueue(new Finding(FindingKind.PoisonedRead, op.Route, origin is null ? "read after the corpus" : $"read of what {origin} created", Shorten(url),
                answer.Failure is null ? answer.Status.ToString(CultureInfo.InvariantCulture) : "no answer",
                answer.Problem()?.Code ?? (readable ? "-" : "unreadable body"), answer.Problem()?.TraceId,
                answer.Failure is { } f ? FirstLine(f.Message) : readable ? null : $"{answer.Body.Length} bytes, not JSON: …{Tail(answer.Body)}"));
        return json;
    }

    private Task<Answer> ReadAsync(string url, string bearer) => SendAsync("GET", url, null, null, "Bearer " + bearer);

    private static string Tail(byte[] body) => Encoding.UTF8.GetString(body, Math.Max(0, body.Length - 80), Math.Min(80, body.Length));

    private static string Shorten(string url) => url.Length <= 120 ? url : url[..117] + "…";

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    /// <summary>Server errors carry a trace id; the server logged the exception under it.</summary>
    private List<Finding> WithLogLines(List<Finding> findings)
    {
        var traces = findings.Where(f => f.TraceId is not null).Select(f => f.TraceId!).ToHashSet(StringComparer.Ordinal);
        if (traces.Count == 0) return findings;
        var lines = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in fx.Logs.Lines)
        {
            var match = TraceInLog().Match(line);
            if (!match.Success || !traces.Contains(match.Groups[1].Value)) continue;
            var start = line.IndexOf(": ", StringComparison.Ordinal) + 2;
            var message = line[start..(match.Index + match.Length)];
            lines.TryAdd(match.Groups[1].Value, message.Length <= 400 ? message : message[..397] + "…");
        }
        return [.. findings.Select(f => f.TraceId is { } t && lines.TryGetValue(t, out var l) ? f with { Detail = "log: " + l } : f)];
    }

    [GeneratedRegex(@"\(trace ([0-9a-f]{32})\)")]
    private static partial Regex TraceInLog();
}
