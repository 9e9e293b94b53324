using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Platform.Auth;
using AgentOps.Platform.Http;

namespace AgentOps.IntegrationTests.Hostile;

/// <summary>
/// One hostile request: which family of hostile input it carries and where (a JSON path, a query parameter, a path
/// parameter, a header), and the raw bytes to send. <see cref="Denied"/>: the credentials may not do this, so any
/// 2xx is an access violation. <see cref="Expected"/>: the one answer this request may get (a body that is not UTF-8
/// is unreadable: 400 invalid_encoding on every route, whatever the route would have done with a readable one).
/// </summary>
public sealed record HostileRequest(ApiOperation Op, string Family, string Where, string Url, byte[]? Body, string? ContentType, string? Authorization,
    bool Denied = false, bool UnknownLength = false, RequestMarker? Marker = null, bool IsBase = false, string? ContentEncoding = null,
    (int Status, string Code)? Expected = null);

/// <summary>
/// Derives every hostile variant of an operation from the operation itself: body variants from the properties of
/// its example body and its declared schema (every property gets the string, encoding, number, date, type, nesting and
/// free-form variants), query variants from its declared query parameters, path variants from its path parameters,
/// and credential variants from its declared permission. A new route, parameter or property is covered as it appears.
/// </summary>
public sealed class HostileCorpus(SeededTenant tenant, SeededTenant stranger, Func<RequestMarker> nextMarker)
{
    private const string Json = "application/json";
    private const string Slot = "__hostile_slot__";
    private static readonly byte[] SlotToken = Encoding.UTF8.GetBytes($"\"{Slot}\"");
    /// <summary>Example bodies are walked this deep (OTLP's attribute values sit at depth 8).</summary>
    private const int MaxPathDepth = 9;

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    private static readonly (string Family, byte[] Token)[] Strings =
    [
        ("lone surrogate \\ud800", U("\"\\ud800\"")),
        ("lone surrogate \\udc00", U("\"\\udc00\"")),
        ("NUL \\u0000 inside text", U("\"a\\u0000b\"")),
        ("100k-char string", U("\"" + new string('x', 100_000) + "\"")),
        ("SQL injection", U("\"'; DROP TABLE agents;--\"")),
        ("template injection", U("\"{{7*7}}\"")),
        ("script injection", U("\"<script>alert(1)</script>\"")),
        ("path traversal", U("\"../../etc/passwd\"")),
    ];

    /// <summary>What every body that is not UTF-8 is answered with, on every route (docs/api.md#json).</summary>
    public static readonly (int Status, string Code) NotUtf8 = (400, "invalid_encoding");

    private static bool IsInvalidUtf8(string family) => family.Contains("invalid UTF-8", StringComparison.Ordinal) || family.Contains("truncated UTF-8", StringComparison.Ordinal)
        || family.Contains("overlong UTF-8", StringComparison.Ordinal) || family.Contains("UTF-8 encoded surrogate", StringComparison.Ordinal);

    /// <summary>Raw bytes that are not UTF-8, inside a JSON string.</summary>
    private static readonly (string Family, byte[] Token)[] InvalidUtf8 =
    [
        ("invalid UTF-8 byte FF", [0x22, 0x61, 0xFF, 0x62, 0x22]),
        ("overlong UTF-8 C0 AF", [0x22, 0xC0, 0xAF, 0x22]),
        ("truncated UTF-8 E2 82", [0x22, 0x61, 0xE2, 0x82, 0x22]),
        ("UTF-8 encoded surrogate ED A0 80", [0x22, 0xED, 0xA0, 0x80, 0x22]),
    ];

    private static readonly (string Family, byte[] Token)[] Numbers =
    [
        ("number 2^63", U("9223372036854775808")),
        ("number -2^63-1", U("-9223372036854775809")),
        ("number 2^64", U("18446744073709551616")),
        ("number 1e400", U("1e400")),
        ("number -1e400", U("-1e400")),
        ("number 1e-400", U("1e-400")),
        ("number 0.1e999", U("0.1e999")),
        ("number 0e-20000", U("0e-20000")),
        ("number 2^63 as string", U("\"9223372036854775808\"")),
    ];

    private static readonly (string Family, byte[] Token)[] WrongTypes =
    [
        ("wrong type: string", U("\"hostile\"")),
        ("wrong type: integer", U("12345")),
        ("wrong type: object", U("{}")),
        ("wrong type: array", U("[]")),
        ("wrong type: null", U("null")),
        ("wrong type: bool", U("true")),
    ];

    private static readonly (string Family, byte[] Token)[] Dates =
    [
        ("date 0001-01-01T00:00:00Z", U("\"0001-01-01T00:00:00Z\"")),
        ("date 9999-12-31T23:59:59Z", U("\"9999-12-31T23:59:59Z\"")),
        ("date not-a-date", U("\"not-a-date\"")),
        ("date 2026-02-30T00:00:00Z", U("\"2026-02-30T00:00:00Z\"")),
    ];

    private static readonly int[] Depths = [31, 32, 33, 40, 64, 1000];

    /// <summary>Members and elements put inside free-form objects and arrays (metadata, config, payload, context, tags).</summary>
    private static readonly (string Family, byte[] Member)[] FreeFormMembers =
    [
        ("lone surrogate \\ud800 key", U("\"\\ud800\":\"x\"")),
        ("lone surrogate \\udc00 key", U("\"\\udc00\":1")),
        ("NUL key", U("\"a\\u0000b\":\"x\"")),
        ("invalid UTF-8 key", [0x22, 0x6B, 0xFF, 0x22, 0x3A, 0x31]),
        ("lone surrogate value inside object", U("\"hostile\":\"\\ud800\"")),
        ("NUL value inside object", U("\"hostile\":\"x\\u0000y\"")),
        ("lone surrogate deep inside object", U("\"hostile\":{\"deep\":[\"\\udc00\"]}")),
        ("duplicate key inside object", U("\"dup\":1,\"dup\":2")),
    ];

    private static readonly (string Family, byte[] Element)[] FreeFormElements =
    [
        ("lone surrogate element", U("\"\\ud800\"")),
        ("NUL element", U("\"a\\u0000b\"")),
        ("object element with lone surrogate key", U("{\"\\ud800\":1}")),
        ("object element with NUL value", U("{\"a\":\"x\\u0000y\"}")),
    ];

    /// <summary>A scalar's place holds no free-form content: one object and one array of hostile content stand for the rest.</summary>
    private static readonly (string Family, byte[] Token)[] InPlaceOfScalar =
    [
        ("object with a lone surrogate key", U("{\"\\ud800\":\"x\"}")),
        ("object with a NUL value", U("{\"hostile\":\"x\\u0000y\"}")),
        ("array with a NUL element", U("[\"a\\u0000b\"]")),
    ];

    private static readonly (string Family, string Authorization)[] MalformedCredentials =
    [
        ("credentials: Bearer x", "Bearer x"),
        ("credentials: empty Bearer", "Bearer "),
        ("credentials: Basic scheme", "Basic dXNlcjpwYXNzd29yZA=="),
        ("credentials: forged JWT", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4Iiwib3JnIjoieCJ9.c2lnbmF0dXJl"),
        ("credentials: unknown API key", "Bearer aok_AAAAAAAA_" + new string('A', 40)),
        ("credentials: 10k-char token", "Bearer " + new string('a', 10_000)),
    ];

    /// <summary>Path parameter values, already percent-encoded as they go on the request line.</summary>
    private static readonly (string Family, string Value)[] PathValues =
    [
        ("path: not a UUID", "not-a-uuid"),
        ("path: %00", "%00"),
        ("path: %ff", "%ff"),
        ("path: encoded surrogate %ED%A0%80", "%ED%A0%80"),
        ("path: 2000 chars", new string('a', 2000)),
        ("path: traversal", "..%2F..%2Fetc%2Fpasswd"),
        ("path: SQL injection", Uri.EscapeDataString("'; DROP TABLE agents;--")),
    ];

    private static readonly (string Family, string Value)[] QueryValues =
    [
        ("query: %00", "%00"),
        ("query: %ff", "%ff"),
        ("query: encoded surrogate %ED%A0%80", "%ED%A0%80"),
        ("query: 2^63", "9223372036854775808"),
        ("query: -2^63-1", "-9223372036854775809"),
        ("query: -1", "-1"),
        ("query: abc", "abc"),
        ("query: 1e400", "1e400"),
        ("query: date 0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("query: date 9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
        ("query: not-a-date", "not-a-date"),
        ("query: date 2026-02-30", "2026-02-30"),
        ("query: empty", ""),
        ("query: 2000 chars", new string('a', 2000)),
        ("query: SQL injection", Uri.EscapeDataString("'; DROP TABLE agents;--")),
    ];

    public IEnumerable<HostileRequest> For(ApiOperation op)
    {
        var hasBody = HostileTables.ExampleBodies.ContainsKey(op.Route);
        yield return Request(op, "base", "", isBase: true);
        foreach (var r in CredentialVariants(op)) yield return r;
        foreach (var r in PathVariants(op)) yield return r;
        foreach (var r in QueryVariants(op)) yield return r;
        foreach (var r in hasBody ? RootBodyVariants(op).Concat(PropertyVariants(op)) : UnexpectedBodyVariants(op)) yield return r;
    }

    /// <summary>A request that is valid except for what the arguments change.</summary>
    private HostileRequest Request(ApiOperation op, string family, string where, string? path = null, string? query = null, byte[]? body = null,
        string? contentType = Json, string? authorization = null, bool useBaseAuthorization = true, bool denied = false, bool unknownLength = false,
        bool isBase = false, RequestMarker? marker = null)
    {
        marker ??= nextMarker();
        var url = (path ?? BasePath(op, tenant)) + (query is not null ? "?" + query
            : HostileTables.BaseQueries.TryGetValue(op.Route, out var baseQuery) ? "?" + baseQuery(tenant) : "");
        if (body is null && contentType == Json && HostileTables.ExampleBodies.TryGetValue(op.Route, out var example))
            body = Serialize(JsonSerializer.SerializeToNode(example(tenant, marker))!);
        else if (body is null) contentType = null;
        var auth = authorization ?? (useBaseAuthorization ? BaseAuthorization(op) : null);
        return new HostileRequest(op, family, where, url, body, contentType, auth, denied, unknownLength, marker, isBase);
    }

    private string? BaseAuthorization(ApiOperation op) =>
        op.Anonymous ? null : "Bearer " + (HostileTables.BaseBearers.TryGetValue(op.Route, out var bearer) ? bearer(tenant) : tenant.AdminToken);

    /// <summary>The route with every path parameter set to the owner's seeded value, except the given raw (already encoded) values.</summary>
    public static string BasePath(ApiOperation op, SeededTenant owner, IReadOnlyDictionary<string, string>? rawValues = null)
    {
        var path = op.Path;
        foreach (var p in op.PathParameters)
        {
            var value = rawValues?.GetValueOrDefault(p) ?? Uri.EscapeDataString(HostileTables.SeedValue(HostileTables.SeedFor(op, p)!, p, owner));
            path = path.Replace("{" + p + "}", value, StringComparison.Ordinal);
        }
        return path;
    }

    private IEnumerable<HostileRequest> CredentialVariants(ApiOperation op)
    {
        foreach (var (family, authorization) in MalformedCredentials.Take(op.Anonymous ? 1 : MalformedCredentials.Length))
            yield return Request(op, family, "Authorization", authorization: authorization, denied: !op.Anonymous);
        if (op.Anonymous) yield break;
        yield return Request(op, "credentials: none", "Authorization", useBaseAuthorization: false, denied: true);
        if (UnderPrivilegedKey(op) is { } key)
            yield return Request(op, "credentials: under-privileged API key", "Authorization", authorization: "Bearer " + key, denied: true);
        if (op.PathParameters.Any(p => HostileTables.SeedFor(op, p)!.TenantOwned))
            yield return Request(op, "credentials: another organization's admin on this organization's ids", "Authorization",
                authorization: "Bearer " + stranger.AdminToken, denied: true);
    }

    /// <summary>A key of this tenant whose scopes do not grant the operation's permission (none when every key may).</summary>
    private string? UnderPrivilegedKey(ApiOperation op)
    {
        if (op.Permission is not { } permission) return null;
        foreach (var (scopes, key) in new[] { (Scopes.Read, tenant.ReadKey), (Scopes.Ingest | Scopes.Write, tenant.IngestKey) })
            if (!Rbac.Allows(new Caller(Guid.Empty, ActorType.ApiKey, Guid.Empty, null, null, scopes, null, new RequestInfo(null, null)), permission))
                return key;
        return null;
    }

    private IEnumerable<HostileRequest> PathVariants(ApiOperation op)
    {
        string With(string parameter, string raw) => BasePath(op, tenant, new Dictionary<string, string> { [parameter] = raw });
        foreach (var p in op.PathParameters)
        {
            var where = "{" + p + "}";
            foreach (var (family, value) in PathValues)
                yield return Request(op, family, where, path: With(p, value));
            yield return Request(op, "path: unknown UUID", where, path: With(p, Guid.NewGuid().ToString()));
        }
        // Another organization's resource: all parameters of one seed together (a payload is its day and its name).
        foreach (var seed in op.PathParameters.Select(p => HostileTables.SeedFor(op, p)!).Distinct())
        {
            var names = op.PathParameters.Where(p => HostileTables.SeedFor(op, p) == seed).ToList();
            var theirs = names.ToDictionary(p => p, p => Uri.EscapeDataString(HostileTables.SeedValue(seed, p, stranger)));
            yield return Request(op, "path: another organization's real id", string.Join("", names.Select(n => "{" + n + "}")),
                path: BasePath(op, tenant, theirs), denied: seed.TenantOwned);
        }
    }

    private IEnumerable<HostileRequest> QueryVariants(ApiOperation op)
    {
        foreach (var q in op.Query)
        {
            foreach (var (family, value) in QueryValues)
                yield return Request(op, family, "?" + q.Name, query: $"{q.Name}={value}");
            yield return Request(op, "query: repeated parameter", "?" + q.Name, query: $"{q.Name}=1&{q.Name}=2");
            yield return Request(op, "query: repeated parameter with %00", "?" + q.Name, query: $"{q.Name}=abc&{q.Name}=%00");
        }
        yield return Request(op, "query: unknown parameter", "?zz_unknown", query: "zz_unknown=1");
        yield return Request(op, "query: unknown parameter with %00", "?zz_unknown", query: "zz_unknown=%00");
        yield return Request(op, "query: %00 as a name", "?%00", query: "%00=1");
    }

    /// <summary>Routes without a body still read one if it comes: a broken one and one just over the limit.</summary>
    private IEnumerable<HostileRequest> UnexpectedBodyVariants(ApiOperation op)
    {
        yield return Request(op, "unexpected body", "body", body: U("{\"hostile\":1}"));
        yield return Request(op, "unexpected malformed body", "body", body: U("{"));
        foreach (var (family, token) in InvalidUtf8)
            yield return Request(op, "unexpected body with " + family, "body", body: [.. U("{\"hostile\":"), .. token, (byte)'}']) with { Expected = NotUtf8 };
        yield return Request(op, "unexpected body: invalid UTF-8 key", "body", body: [(byte)'{', .. FreeFormMembers.Single(m => m.Family == "invalid UTF-8 key").Member, (byte)'}']) with { Expected = NotUtf8 };
        yield return Request(op, "body 1 byte over the limit", "body", body: Oversized(op.BodyLimit));
    }

    private IEnumerable<HostileRequest> RootBodyVariants(ApiOperation op)
    {
        // Each request gets its own marker, and the body is built around that marker's base body.
        HostileRequest Body(string family, Func<string, byte[]> body, string? contentType = Json, bool unknownLength = false)
        {
            var marker = nextMarker();
            var baseText = Encoding.UTF8.GetString(Serialize(BaseBody(op, marker)));
            return Request(op, family, "body", body: body(baseText), contentType: contentType, unknownLength: unknownLength, marker: marker)
                with { Expected = contentType == Json && IsInvalidUtf8(family) ? NotUtf8 : null };
        }

        yield return Body("malformed JSON: open brace", _ => U("{"));
        yield return Body("malformed JSON: unterminated member", _ => U("{\"a\":"));
        yield return Body("malformed JSON: trailing comma", b => U(b[..^1] + ",}"));
        yield return Body("malformed JSON: two documents", b => U(b + b));
        yield return Body("malformed JSON: truncated", b => U(b[..(b.Length / 2)]));
        yield return Body("invalid UTF-8 before the document", b => [0xFF, .. U(b)]);
        yield return Body("UTF-8 byte order mark", b => [0xEF, 0xBB, 0xBF, .. U(b)]);
        yield return Body("truncated UTF-8 after the document", b => [.. U(b), 0xE2, 0x82]);
        foreach (var (family, member) in FreeFormMembers)
            yield return Body("top level: " + family, b => Merge(U(b), member));
        yield return Body("top level: duplicate key", b => JsonNode.Parse(b) is JsonObject { Count: > 0 } o
            ? Merge(U(b), U($"{JsonSerializer.Serialize(o.First().Key)}:{o.First().Value?.ToJsonString() ?? "null"}"))
            : U(b));
        foreach (var depth in Depths)
            yield return Body($"root nested {depth} objects deep", _ => Nested(depth));
        foreach (var depth in new[] { 33, 1000 })
            yield return Body($"root nested {depth} arrays deep", _ => U(new string('[', depth) + new string(']', depth)));
        yield return Body("empty body", _ => []);
        yield return Body("body null", _ => U("null"));
        yield return Body("body []", _ => U("[]"));
        yield return Body("body {}", _ => U("{}"));
        yield return Body("body a bare string", _ => U("\"a bare string\""));
        foreach (var contentType in new[] { "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/json; charset=utf-16" })
            yield return Body("content type " + contentType, U, contentType);
        yield return Body("no content type", U, contentType: null);
        // A plain body labelled compressed: refused (415), or, where the endpoint takes gzip (ingest, OTLP), unreadable gzip (400 malformed_gzip).
        foreach (var encoding in new[] { "gzip", "br" })
            yield return Body("plain body labelled Content-Encoding: " + encoding, U) with { ContentEncoding = encoding };
        yield return Body("body 1 byte over the limit", _ => Oversized(op.BodyLimit));
        yield return Body("body 1 byte over the limit, no Content-Length", _ => Oversized(op.BodyLimit), unknownLength: true);
    }

    private IEnumerable<HostileRequest> PropertyVariants(ApiOperation op)
    {
        var shape = BaseBody(op, nextMarker());
        var formats = op.BodyProperties.ToDictionary(p => p.Name, p => p.Format, StringComparer.Ordinal);
        var paths = Paths(shape, [], 0).ToList();
        // Declared properties the example leaves out are set by the variants too.
        if (shape is JsonObject top)
            paths.AddRange(op.BodyProperties.Where(p => !top.ContainsKey(p.Name)).Select(p => ((IReadOnlyList<object>)[p.Name], (JsonNode?)null)));
        foreach (var (path, value) in paths)
        {
            var where = JsonPath(path);
            var key = path[^1] as string;
            var dateLike = (path.Count == 1 && path[0] is string name && formats.GetValueOrDefault(name) is "date" or "date-time")
                           || key is not null && (key.EndsWith("_at", StringComparison.Ordinal) || key is "timestamp" or "from" or "to")
                           || value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length >= 10 && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, out _);
            // Where the example has an object or array, every scalar is just a wrong type: a few of each kind say as much as all.
            var container = value is JsonObject or JsonArray;
            var tokens = (container ? Strings.Where(t => t.Family.Contains("surrogate", StringComparison.Ordinal) || t.Family.StartsWith("NUL", StringComparison.Ordinal)) : Strings)
                .Concat(InvalidUtf8).Concat(container ? Numbers.Take(2) : Numbers).Concat(WrongTypes).Concat(dateLike ? Dates : [])
                // Nesting belongs in free-form content; where the example has a scalar, the deepest nesting stands for all.
                .Concat((container ? Depths : [Depths[^1]]).Select(d => ($"nested {d} objects deep", Nested(d))))
                .Concat(FreeForm(value));
            if (key is not null)
            {
                var text = value?.ToJsonString() ?? "\"hostile\"";
                tokens = tokens.Append(("duplicate key", U($"{text},{JsonSerializer.Serialize(key)}:{text}")));
            }
            foreach (var (family, token) in tokens)
            {
                var marker = nextMarker();
                yield return Request(op, family, where, body: WithSlot(BaseBody(op, marker), path, token), marker: marker)
                    with { Expected = IsInvalidUtf8(family) ? NotUtf8 : null };
            }
        }
    }

    /// <summary>Free-form content: inside the object or array the example has there, or as a whole object or array where it has a scalar.</summary>
    private static IEnumerable<(string, byte[])> FreeForm(JsonNode? value)
    {
        var text = U(value?.ToJsonString() ?? "null");
        return value switch
        {
            JsonObject => FreeFormMembers.Select(m => ("inside object: " + m.Family, Merge(text, m.Member))),
            JsonArray => FreeFormElements.Select(e => ("inside array: " + e.Family, Append(text, e.Element))),
            _ => InPlaceOfScalar,
        };
    }

    private JsonNode BaseBody(ApiOperation op, RequestMarker marker) => JsonSerializer.SerializeToNode(HostileTables.ExampleBodies[op.Route](tenant, marker))!;

    private static IEnumerable<(IReadOnlyList<object> Path, JsonNode? Value)> Paths(JsonNode? node, List<object> prefix, int depth)
    {
        if (depth >= MaxPathDepth) yield break;
        var children = node switch
        {
            JsonObject o => o.Select(p => ((object)p.Key, p.Value)).ToList(),
            JsonArray { Count: > 0 } a => [((object)0, a[0])],
            _ => [],
        };
        foreach (var (segment, child) in children)
        {
            var path = new List<object>(prefix) { segment };
            yield return (path, child);
            foreach (var nested in Paths(child, path, depth + 1)) yield return nested;
        }
    }

    private static string JsonPath(IReadOnlyList<object> path) =>
        "$" + string.Concat(path.Select(s => s is int i ? $"[{i}]" : "." + s));

    /// <summary>The body with the value at the path replaced by the raw token (which need not be valid JSON or UTF-8).</summary>
    private static byte[] WithSlot(JsonNode root, IReadOnlyList<object> path, byte[] token)
    {
        var parent = root;
        foreach (var segment in path.Take(path.Count - 1))
            parent = segment is int i ? parent[i]! : parent[(string)segment]!;
        if (path[^1] is int index) parent[index] = Slot;
        else parent[(string)path[^1]] = Slot;
        var bytes = Serialize(root);
        var at = bytes.AsSpan().IndexOf(SlotToken);
        return [.. bytes.AsSpan(0, at), .. token, .. bytes.AsSpan(at + SlotToken.Length)];
    }

    private static byte[] Serialize(JsonNode node) => U(node.ToJsonString());

    /// <summary>An object with one more member first (the object's own text is ours, so splicing bytes is safe).</summary>
    private static byte[] Merge(byte[] objectText, byte[] member) =>
        objectText.Length == 2 ? [(byte)'{', .. member, (byte)'}'] : [(byte)'{', .. member, (byte)',', .. objectText.AsSpan(1)];

    private static byte[] Append(byte[] arrayText, byte[] element) =>
        arrayText.Length == 2 ? [(byte)'[', .. element, (byte)']'] : [.. arrayText.AsSpan(0, arrayText.Length - 1), (byte)',', .. element, (byte)']'];

    private static byte[] Nested(int depth)
    {
        var sb = new StringBuilder(depth * 6);
        for (var i = 0; i < depth; i++) sb.Append("{\"a\":");
        sb.Append('1').Append('}', depth);
        return U(sb.ToString());
    }

    /// <summary>A well-formed JSON object exactly one byte larger than the limit.</summary>
    private static byte[] Oversized(long limit)
    {
        var body = new byte[limit + 1];
        "{\"pad\":\""u8.CopyTo(body);
        body.AsSpan(8, body.Length - 10).Fill((byte)'x');
        "\"}"u8.CopyTo(body.AsSpan(body.Length - 2));
        return body;
    }
}
