using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Ingest.Contracts;
using Microsoft.AspNetCore.Http.Metadata;

namespace AgentOps.Ingest;

/// <summary>
/// POST /ingest ({"batch": [...]}, up to 1,000 events and 5 MiB) and POST /ingest/run (one run with its events).
/// 202 when every item is accepted; 207 with a result per item when some are not (the valid ones are kept);
/// 400 only for an unreadable body; 413 above the limits; 429 above the organization's rate.
/// </summary>
public static class IngestApi
{
    public static void MapIngestApi(this RouteGroupBuilder api)
    {
        var ingest = api.MapGroup("/ingest").WithTags("Ingest");
        // SDKs compress their batches: the input gate decompresses gzip, up to the same 5 MiB, and checks what it decompressed.
        ingest.MapPost("/", IngestAsync).Requires(Permission.Ingest).WithName("ingestEvents")
            .WithMetadata(new BodyLimit(IngestLimits.MaxBodyBytes), new BatchItems("batch"), new AcceptsGzip())
            .Accepts<IngestBatchRequest>("application/json").WithSummary("Send a batch of events (idempotent by event id)")
            .WithDescription(GzipNote);
        ingest.MapPost("/run", IngestRunAsync).Requires(Permission.Ingest).WithName("ingestRun").WithMetadata(new BodyLimit(IngestLimits.MaxBodyBytes), new AcceptsGzip())
            .Accepts<IngestRunRequest>("application/json").WithSummary("Send one run and its events in one call")
            .WithDescription(GzipNote);
    }

    private const string GzipNote = "The body may be gzip-compressed (Content-Encoding: gzip): at most 5 MiB as sent and 5 MiB decompressed " +
                                    "(413 payload_too_large), 400 malformed_gzip for a broken stream, 415 unsupported_content_encoding for any other encoding.";

    public static async Task<Results<Accepted<IngestResponse>, MultiStatus<IngestResponse>>> IngestAsync(HttpRequest request, Caller caller, IngestAcceptor acceptor, CancellationToken ct)
    {
        using var body = await ReadJsonAsync(request, ct);
        var batch = SingleArrayField(body.RootElement, "batch");
        return Respond(await acceptor.AcceptAsync(caller, [.. batch.EnumerateArray()], ct));
    }

    /// <summary>
    /// {"run": {id, agent, name, started_at, ended_at, status, input, output, error, tags, metadata, environment},
    ///  "events": [...]}: a run.start (id "&lt;run&gt;:start"), the events (run_id and agent default to the run's) and, when
    /// the run has ended_at or status, a run.end (id "&lt;run&gt;:end"). Re-sending it changes nothing.
    /// </summary>
    public static async Task<Results<Accepted<IngestResponse>, MultiStatus<IngestResponse>>> IngestRunAsync(HttpRequest request, Caller caller, IngestAcceptor acceptor, CancellationToken ct)
    {
        using var body = await ReadJsonAsync(request, ct);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw ApiProblem.BadRequest("malformed_json", "The body must be a JSON object.");
        JsonElement? run = null, events = null;
        foreach (var p in root.EnumerateObject())
        {
            if (p.Name == "run") run = p.Value;
            else if (p.Name == "events") events = p.Value;
            else throw UnknownField("$." + p.Name);
        }
        if (run is not { ValueKind: JsonValueKind.Object } r)
            throw DomainError.Invalid("$.run", "is required: an object with id, agent and started_at.");
        if (events is { ValueKind: not (JsonValueKind.Array or JsonValueKind.Null) })
            throw DomainError.Invalid("$.events", "must be an array of events.");

        var items = RunItems(r, events is { ValueKind: JsonValueKind.Array } list ? list : null);
        if (items.Count > IngestLimits.MaxEventsPerBatch) throw TooManyEvents(items.Count);
        using var expanded = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(items));
        return Respond(await acceptor.AcceptAsync(caller, [.. expanded.RootElement.EnumerateArray()], ct));
    }

    private static JsonArray RunItems(JsonElement run, JsonElement? events)
    {
        var fields = JsonNode.Parse(run.GetRawText())!.AsObject();
        var v = new Validation();
        string? Str(string name) => fields[name] is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;
        var id = Str("id");
        var agent = Str("agent");
        var startedAt = Str("started_at");
        if (id is null) v.Add("$.run.id", "is required.");
        if (agent is null) v.Add("$.run.agent", "is required.");
        if (startedAt is null) v.Add("$.run.started_at", "is required (ISO 8601).");
        var known = new HashSet<string> { "id", "agent", "name", "started_at", "ended_at", "status", "input", "output", "error", "tags", "metadata", "environment" };
        foreach (var (name, _) in fields) if (!known.Contains(name)) v.Add("$.run." + name, "is not a field of a run.");
        v.ThrowIfInvalid();

        JsonNode? Copy(string name) => fields[name]?.DeepClone();
        var items = new JsonArray
        {
            new JsonObject
            {
                ["id"] = id + ":start", ["type"] = EventTypes.RunStart, ["timestamp"] = startedAt, ["run_id"] = id, ["agent"] = agent,
                ["name"] = Copy("name"), ["input"] = Copy("input"), ["tags"] = Copy("tags"), ["metadata"] = Copy("metadata"), ["environment"] = Copy("environment"),
            },
        };
        foreach (var e in events?.EnumerateArray() ?? default)
        {
            var item = JsonNode.Parse(e.GetRawText());
            if (item is JsonObject o)
            {
                o["run_id"] ??= id;
                o["agent"] ??= agent;
            }
            items.Add(item);
        }
        if (fields.ContainsKey("ended_at") || fields.ContainsKey("status"))
            items.Add(new JsonObject
            {
                ["id"] = id + ":end", ["type"] = EventTypes.RunEnd, ["timestamp"] = Copy("ended_at") ?? DateTimeOffset.UtcNow.ToString("O"), ["run_id"] = id,
                ["agent"] = agent, ["status"] = Copy("status"), ["output"] = Copy("output"), ["error"] = Copy("error"),
            });
        foreach (var o in items.OfType<JsonObject>())
            foreach (var key in o.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList()) o.Remove(key);
        return items;
    }

    private static Results<Accepted<IngestResponse>, MultiStatus<IngestResponse>> Respond(IngestResponse response) => response.Rejected == 0
        ? TypedResults.Accepted((string?)null, response)
        : new MultiStatus<IngestResponse>(response);

    /// <summary>Reads a JSON body (the input gate has checked it): application/json only; errors as problems.</summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
            throw new ApiProblem(415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json.");
        try { return await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = JsonInput.MaxDepth }, ct); }
        catch (JsonException e) when (request.ContentLength is not 0)
        {
            throw ApiProblem.BadRequest("malformed_json", $"The body is not valid JSON (line {e.LineNumber + 1}).");
        }
        catch (JsonException)
        {
            throw ApiProblem.BadRequest("body_required", "This endpoint needs a JSON body.");
        }
    }

    private static JsonElement SingleArrayField(JsonElement root, string name)
    {
        if (root.ValueKind != JsonValueKind.Object) throw ApiProblem.BadRequest("malformed_json", "The body must be a JSON object.");
        JsonElement? found = null;
        foreach (var p in root.EnumerateObject())
            if (p.Name == name) found = p.Value;
            else throw UnknownField("$." + p.Name);
        if (found is not { ValueKind: JsonValueKind.Array } array || array.GetArrayLength() == 0)
            throw DomainError.Invalid("$." + name, "must be a non-empty array of events.");
        if (array.GetArrayLength() > IngestLimits.MaxEventsPerBatch) throw TooManyEvents(array.GetArrayLength());
        return array;
    }

    private static ApiProblem TooManyEvents(int count) => new(413, "too_many_events", "Payload too large",
        $"A batch holds at most {IngestLimits.MaxEventsPerBatch} events; this one has {count}. Split it.");

    private static ApiProblem UnknownField(string path) => new(400, "unknown_field", "Bad request", $"Unknown field at {path}.",
        new Dictionary<string, string[]> { [path] = ["is not a field of this request."] });
}
