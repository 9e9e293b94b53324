using System.Text.Json;
using AgentOps.Guardrails;
using AgentOps.Guardrails.Redaction;

namespace AgentOps.Tests.Guardrails.Config;

public class GuardrailPolicyJsonTests
{
    private static (GuardrailPolicy? Policy, IReadOnlyList<RedactionRuleError> Errors) Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return GuardrailPolicyJson.Parse(doc.RootElement.Clone());
    }

    private const string Full = """
        {
          "redaction": {
            "detectors": ["api_keys", "emails", "ibans"],
            "custom": [{ "name": "EMPLOYEE_ID", "pattern": "E-[0-9]{6}" }],
            "actions": { "API_KEY": "block", "EMAIL": "flag", "EMPLOYEE_ID": "redact" }
          },
          "injection": { "action": "flag", "block_score": 0.9, "flag_score": 0.3 },
          "restore_originals": true,
          "paths": { "allow": ["src", "docs/public"], "deny": ["src/secrets"] }
        }
        """;

    [Fact]
    public void An_empty_document_is_the_defaults()
    {
        var (policy, errors) = Parse("{}");
        Assert.Empty(errors);
        Assert.Equal(GuardrailPolicyJson.Serialize(GuardrailPolicy.Default), GuardrailPolicyJson.Serialize(policy!));
        Assert.Equal(BuiltInDetectors.All, policy!.Redaction.Detectors);
        Assert.Equal((GuardrailAction.Block, 0.8, 0.0001, false), (policy.InjectionAction, policy.InjectionBlockScore, policy.InjectionFlagScore, policy.RestoreOriginals));
        Assert.Empty(policy.PathAllow);
        Assert.Empty(policy.PathDeny);
    }

    [Fact]
    public void A_full_document_gives_every_field()
    {
        var (policy, errors) = Parse(Full);
        Assert.Empty(errors);
        Assert.Equal(BuiltInDetectors.ApiKeys | BuiltInDetectors.Emails | BuiltInDetectors.Ibans, policy!.Redaction.Detectors);
        Assert.Equal(new CustomPattern("EMPLOYEE_ID", "E-[0-9]{6}"), Assert.Single(policy.Redaction.Custom));
        Assert.Equal(GuardrailAction.Block, policy.ActionFor("API_KEY"));
        Assert.Equal(GuardrailAction.Flag, policy.ActionFor("EMAIL"));
        Assert.Equal(GuardrailAction.Redact, policy.ActionFor("EMPLOYEE_ID"));
        Assert.Equal(GuardrailAction.Redact, policy.ActionFor("CARD"));
        Assert.Equal((GuardrailAction.Flag, 0.9, 0.3, true), (policy.InjectionAction, policy.InjectionBlockScore, policy.InjectionFlagScore, policy.RestoreOriginals));
        Assert.Equal(["src", "docs/public"], policy.PathAllow);
        Assert.Equal(["src/secrets"], policy.PathDeny);
        // The compiled redactor uses the organization's pattern, and is compiled once per rules instance.
        var redactor = policy.CompiledRedactor();
        Assert.Same(redactor, policy.CompiledRedactor());
        Assert.Equal("id [EMPLOYEE_ID_1]", redactor.Redact("id E-123456", new RedactionMap()).Text);
        Assert.Same(Redactor.Default, GuardrailPolicy.Default.CompiledRedactor());
    }

    [Fact]
    public void Serializing_and_parsing_again_gives_the_same_document()
    {
        var (policy, _) = Parse(Full);
        var json = GuardrailPolicyJson.Serialize(policy!);
        var (again, errors) = Parse(json);
        Assert.Empty(errors);
        Assert.Equal(json, GuardrailPolicyJson.Serialize(again!));
        // Normalized: snake_case, every field, actions as words in label order.
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(["api_keys", "emails", "ibans"], root.GetProperty("redaction").GetProperty("detectors").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(["API_KEY", "EMAIL", "EMPLOYEE_ID"], root.GetProperty("redaction").GetProperty("actions").EnumerateObject().Select(p => p.Name));
        Assert.Equal("block", root.GetProperty("redaction").GetProperty("actions").GetProperty("API_KEY").GetString());
        Assert.Equal("flag", root.GetProperty("injection").GetProperty("action").GetString());
        Assert.Equal(0.3, root.GetProperty("injection").GetProperty("flag_score").GetDouble());
        Assert.True(root.GetProperty("restore_originals").GetBoolean());
    }

    [Fact]
    public void Every_error_is_reported_at_once_with_its_path()
    {
        var (policy, errors) = Parse("""
            {
              "redaction": {
                "detectors": ["api_keys", "faxes"],
                "custom": [{ "name": "EMAIL", "pattern": "x+" }, { "name": "BADGE", "pattern": "(?=x)" }],
                "actions": { "SSN": "block", "EMAIL": "drop", "BADGE": "flag" },
                "extra": 1
              },
              "injection": { "action": "redact", "block_score": 1.5, "flag_score": -0.1, "mode": "x" },
              "restore_originals": "yes",
              "paths": { "allow": ["../outside", 3, "src"], "deny": "secrets", "other": [] },
              "colour": "blue"
            }
            """);
        Assert.Null(policy);
        var paths = errors.Select(e => e.Path).ToHashSet();
        Assert.Equal(new HashSet<string>
        {
            "$.redaction.detectors[1]", "$.redaction.custom[0].name", "$.redaction.custom[1].pattern", "$.redaction.extra",
            "$.redaction.actions.SSN", "$.redaction.actions.EMAIL",
            "$.injection.action", "$.injection.block_score", "$.injection.flag_score", "$.injection.mode",
            "$.restore_originals", "$.paths.allow[0]", "$.paths.allow[1]", "$.paths.deny", "$.paths.other", "$.colour",
        }, paths);
        Assert.Contains("detectors, custom, actions", errors.Single(e => e.Path == "$.redaction.extra").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"injection": {"block_score": 0.5, "flag_score": 0.6}}""", "$.injection.flag_score")]
    [InlineData("""{"injection": {"flag_score": 0.9}}""", "$.injection.flag_score")] // above the default block score 0.8
    [InlineData("""{"injection": {"block_score": "0.5"}}""", "$.injection.block_score")]
    [InlineData("""{"injection": []}""", "$.injection")]
    [InlineData("""{"redaction": []}""", "$.redaction")]
    [InlineData("""{"redaction": {"actions": ["API_KEY"]}}""", "$.redaction.actions")]
    [InlineData("""{"redaction": {"actions": {"API_KEY": 1}}}""", "$.redaction.actions.API_KEY")]
    [InlineData("""{"redaction": {"actions": {"api_key": "block"}}}""", "$.redaction.actions.api_key")]
    [InlineData("""{"paths": {"allow": ["C:/x"]}}""", "$.paths.allow[0]")]
    [InlineData("""{"paths": {"deny": ["//server/share"]}}""", "$.paths.deny[0]")]
    [InlineData("""{"paths": []}""", "$.paths")]
    [InlineData("""[]""", "$")]
    public void Invalid_documents_name_the_field(string json, string path)
    {
        var (policy, errors) = Parse(json);
        Assert.Null(policy);
        Assert.Equal(path, Assert.Single(errors).Path);
    }

    [Theory]
    [InlineData("""{"injection": {"block_score": 0, "flag_score": 0}}""")]
    [InlineData("""{"injection": {"block_score": 1, "flag_score": 1}}""")]
    [InlineData("""{"injection": {"action": "flag"}}""")]
    [InlineData("""{"redaction": {"detectors": []}}""")]
    [InlineData("""{"redaction": {"custom": [{"name": "BADGE", "pattern": "B[0-9]{4}"}], "actions": {"BADGE": "block", "TOKEN": "flag"}}}""")]
    [InlineData("""{"paths": {"allow": ["", "/", "."], "deny": []}}""")]
    public void Boundaries_are_valid(string json) => Assert.Empty(Parse(json).Errors);

    [Fact]
    public void Prefix_lists_are_bounded()
    {
        var prefixes = string.Join(',', Enumerable.Range(0, GuardrailPolicyJson.MaxPathPrefixes + 1).Select(i => $"\"p{i}\""));
        var (_, errors) = Parse("{\"paths\": {\"allow\": [" + prefixes + "]}}");
        Assert.Equal("$.paths.allow", Assert.Single(errors).Path);
    }

    [Fact]
    public void A_copy_with_other_rules_compiles_its_own_redactor()
    {
        var (policy, _) = Parse(Full);
        var copy = policy! with { Redaction = RedactionRules.Default };
        Assert.NotSame(policy.CompiledRedactor(), copy.CompiledRedactor());
        Assert.Equal("id E-123456", copy.CompiledRedactor().Redact("id E-123456", new RedactionMap()).Text);
    }

    [Fact]
    public void The_defaults_document_is_as_documented()
    {
        Assert.Equal("""
            {"redaction":{"detectors":["api_keys","jwts","bearer_tokens","emails","cards","phones","ibans"],"custom":[],"actions":{}},"injection":{"action":"block","block_score":0.8,"flag_score":0.0001},"restore_originals":false,"paths":{"allow":[],"deny":[]}}
            """, GuardrailPolicyJson.Serialize(GuardrailPolicy.Default));
    }
}
