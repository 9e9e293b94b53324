using System.Text.Json.Nodes;
using AgentOps.Ingest;
using AgentOps.Ingest.Otlp;
using AgentOps.Platform.Http;
using OpenTelemetry.Proto.Trace.V1;
using static AgentOps.Tests.Ingest.Otlp.OtlpSpans;

namespace AgentOps.Tests.Ingest.Otlp;

public class OtlpJsonTests
{
    /// <summary>An export as OTLP/JSON writes it: hex ids, enums as integers, 64-bit integers as strings or numbers.</summary>
    private static string Export(ulong startNanos) => $$"""
        {
          "resourceSpans": [{
            "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "json-agent" } }] },
            "scopeSpans": [{
              "scope": { "name": "manual" },
              "spans": [{
                "traceId": "{{TraceHex.ToUpperInvariant()}}",
                "spanId": "{{ChildHex}}",
                "parentSpanId": "{{RootHex}}",
                "name": "chat gpt-4o",
                "kind": 3,
                "startTimeUnixNano": "{{startNanos}}",
                "endTimeUnixNano": {{startNanos + 250_000_000}},
                "attributes": [
                  { "key": "gen_ai.operation.name", "value": { "stringValue": "chat" } },
                  { "key": "gen_ai.request.model", "value": { "stringValue": "gpt-4o" } },
                  { "key": "gen_ai.usage.input_tokens", "value": { "intValue": "1000" } },
                  { "key": "gen_ai.usage.output_tokens", "value": { "intValue": 200 } }
                ],
                "links": [{ "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174" }],
                "status": { "code": 2, "message": "boom" },
                "someFutureField": { "ignored": true }
              }]
            }]
          }]
        }
        """;

    [Fact]
    public void Hex_ids_are_read_as_the_bytes_they_spell()
    {
        var request = OtlpJson.ParseRequest(System.Text.Encoding.UTF8.GetBytes(Export(Nanos(Start))));
        var span = request.ResourceSpans[0].ScopeSpans[0].Spans[0];
        Assert.Equal(TraceHex, Convert.ToHexStringLower(span.TraceId.Span));
        Assert.Equal(ChildHex, Convert.ToHexStringLower(span.SpanId.Span));
        Assert.Equal(RootHex, Convert.ToHexStringLower(span.ParentSpanId.Span));
        Assert.Equal("eee19b7ec3c1b174", Convert.ToHexStringLower(span.Links[0].SpanId.Span));
        Assert.Equal(Span.Types.SpanKind.Client, span.Kind);
        Assert.Equal(Status.Types.StatusCode.Error, span.Status.Code);
        Assert.Equal(Nanos(Start), span.StartTimeUnixNano);
        Assert.Equal(Nanos(Start) + 250_000_000, span.EndTimeUnixNano);
        Assert.Equal(1000, span.Attributes[2].Value.IntValue);
    }

    [Fact]
    public void A_json_export_maps_like_a_protobuf_one()
    {
        var request = OtlpJson.ParseRequest(System.Text.Encoding.UTF8.GetBytes(Export(Nanos(Start))));
        var mapped = Assert.Single(OtlpMapper.Map(request));
        var e = Assert.Single(Parse(mapped.Items));
        Assert.Equal(TraceHex + "-" + ChildHex, e.Id);
        Assert.Equal(EventTypes.LlmCall, e.Type);
        Assert.Equal(("gpt-4o", 1000L, 200L, 250L), (e.Model, e.TokensIn!.Value, e.TokensOut!.Value, e.DurationMs!.Value));
        Assert.Equal("boom", e.Error);
        Assert.Equal("json-agent", AgentOf(mapped.Items[0]));
    }

    [Fact]
    public void An_unknown_enum_name_is_ignored_like_an_unknown_field()
    {
        // Protobuf's JSON mapping with ignore_unknown_fields (which OTLP asks receivers for): a newer sender's enum value
        // leaves the field at its default instead of refusing the batch.
        var json = """{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","kind":"SPAN_KIND_SIDEWAYS"}]}]}]}""";
        var span = OtlpJson.ParseRequest(System.Text.Encoding.UTF8.GetBytes(json)).ResourceSpans[0].ScopeSpans[0].Spans[0];
        Assert.Equal(("x", OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Unspecified), (span.Name, span.Kind));
    }

    [Fact]
    public void Proto_field_names_are_accepted_too()
    {
        var json = $$$"""
            {"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"{{{TraceHex}}}","span_id":"{{{RootHex}}}","name":"x","start_time_unix_nano":"1"}]}]}]}
            """;
        var span = OtlpJson.ParseRequest(System.Text.Encoding.UTF8.GetBytes(json)).ResourceSpans[0].ScopeSpans[0].Spans[0];
        Assert.Equal(TraceHex, Convert.ToHexStringLower(span.TraceId.Span));
        Assert.Equal(RootHex, Convert.ToHexStringLower(span.SpanId.Span));
    }

    [Fact]
    public void Only_ids_are_rewritten_and_base64_ids_are_left_alone()
    {
        var root = JsonNode.Parse($$$"""
            {"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"{{{TraceHex}}}","spanId":"AAECAwQFBgc=","name":"abcd",
              "attributes":[{"key":"k","value":{"stringValue":"abcd"}}]}]}]}]}
            """)!;
        OtlpJson.HexIdsToBase64(root);
        var span = root["resourceSpans"]![0]!["scopeSpans"]![0]!["spans"]![0]!;
        Assert.Equal(Convert.ToBase64String(Convert.FromHexString(TraceHex)), span["traceId"]!.GetValue<string>());
        Assert.Equal("AAECAwQFBgc=", span["spanId"]!.GetValue<string>());
        Assert.Equal("abcd", span["name"]!.GetValue<string>());
        Assert.Equal("abcd", span["attributes"]![0]!["value"]!["stringValue"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("", "body_required")]
    [InlineData("{\"resourceSpans\":", "malformed_json")]
    [InlineData("[]", "malformed_json")]
    [InlineData("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"soon\"}]}]}]}", "malformed_otlp")]
    [InlineData("{\"resourceSpans\":{}}", "malformed_otlp")]
    public void Unreadable_bodies_are_400_problems(string body, string code)
    {
        var problem = Assert.Throws<ApiProblem>(() => OtlpJson.ParseRequest(System.Text.Encoding.UTF8.GetBytes(body)));
        Assert.Equal((400, code), (problem.Status, problem.Code));
    }

    [Fact]
    public void An_empty_export_is_valid_and_its_response_is_an_empty_object()
    {
        Assert.Empty(OtlpJson.ParseRequest("{}"u8).ResourceSpans);
        Assert.Equal("{ }", OtlpJson.Format(OtlpApi.Response(0, [])));
    }
}
