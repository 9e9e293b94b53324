using System.Diagnostics.Metrics;
using AgentOps.Audit;
using AgentOps.Platform.Telemetry;
using AgentOps.Guardrails.Redaction;
using AgentOps.Guardrails.Screening;

namespace AgentOps.Guardrails;

/// <summary>
/// POST /guardrails/check's answer. <see cref="RedactedText"/> holds placeholders, never an original (also when the
/// organization restores originals for model answers), and is null when the text could not be screened.
/// </summary>
public sealed record GuardrailCheckResult(Guid CheckId, ScreenAction Action, IReadOnlyList<string> Reasons, bool Recorded, int ConfigVersion, bool Screened,
    string? RedactedText, IReadOnlyList<RedactionCheck> Redactions, InjectionCheck Injection, PathCheck? Path);

/// <summary>A redacted kind: occurrences, distinct values, and what the organization's configuration does with it.</summary>
public sealed record RedactionCheck(string Kind, int Count, int Values, GuardrailAction Action);

/// <summary>The injection screen's part: its verdict under the organization's thresholds, the score, the rules that matched.</summary>
public sealed record InjectionCheck(ScreenAction Action, double Score, IReadOnlyList<string> Reasons, IReadOnlyList<InjectionFinding> Findings);

/// <summary>One rule that matched, at its span of the text as sent (UTF-16 code units).</summary>
public sealed record InjectionFinding(string RuleId, string Reason, int Start, int Length, string Form, double Weight);

/// <summary>The path policy's part: eligible or not, why (allowed, denied, not_allowed, invalid_path: …), the normalized path and the deciding prefix.</summary>
public sealed record PathCheck(ScreenAction Action, bool Eligible, string Reason, string? NormalizedPath, string? Prefix);

/// <summary>
/// Screens a text with the organization's guardrails without calling a model: redaction (its detectors and patterns),
/// the injection screen (on the text as sent, so its spans are the caller's) and, when a path is given, the path policy;
/// <see cref="GuardrailDecisions.Decide"/> gives the verdict. A check that flags or blocks is recorded in the audit log
/// as guardrail.checked with its verdict, reasons, kinds and counts, rule ids and scores — never the text, a value or
/// the path itself. Passes are not recorded: a check API may be called for every message an agent handles, and an
/// audit row per benign message would bury the ones that matter (the answer carries <see cref="GuardrailCheckResult.Recorded"/>);
/// every check, passes included, is counted in the <c>agentops.guardrails.checks</c> metric by verdict.
/// </summary>
public sealed class GuardrailChecker(GuardrailConfigService configs, Db db)
{
    private static readonly Counter<long> Checks = AgentOpsTelemetry.Meter.CreateCounter<long>("agentops.guardrails.checks", description: "Guardrail checks by verdict");

    /// <summary>The longest text checked: what the injection screen reads (longer ones are refused with 422, not half-screened).</summary>
    public const int MaxTextChars = InjectionScreen.MaxInputChars;

    public async Task<GuardrailCheckResult> CheckAsync(Caller caller, string text, string? path, CancellationToken ct)
    {
        var effective = await configs.GetEffectiveAsync(caller.OrgId, ct);
        var policy = effective.Policy;
        var redaction = policy.CompiledRedactor().Redact(text, new RedactionMap());
        var verdict = InjectionScreen.Screen(text);
        var pathDecision = path is null ? null : PathPolicy.Check(path, policy.PathAllow, policy.PathDeny);
        var decision = GuardrailDecisions.Decide(policy, redaction.Reason, redaction.Counts, verdict, pathDecision);

        var checkId = Guid.CreateVersion7();
        var redactions = redaction.Counts.Select(c => new RedactionCheck(c.Kind, c.Occurrences, c.Values, policy.ActionFor(c.Kind))).ToList();
        var injection = new InjectionCheck(decision.Injection, verdict.Score, verdict.Reasons,
            [.. verdict.Findings.Select(f => new InjectionFinding(f.RuleId, f.Reason, f.Span.Start, f.Span.Length, f.Form, f.Weight))]);
        var pathCheck = pathDecision is null ? null : new PathCheck(decision.Path, pathDecision.Eligible, pathDecision.Reason, pathDecision.NormalizedPath, pathDecision.Prefix);
        var recorded = decision.Action != ScreenAction.Pass;
        Checks.Add(1, new KeyValuePair<string, object?>("action", decision.Action.ToString().ToLowerInvariant()));
        if (recorded)
            await db.InOrgAsync(caller.OrgId, tx => AuditLog.RecordAsync(tx, Actor.Of(caller), "guardrail.checked", "guardrail_check", checkId, null, new
            {
                action = decision.Action, reasons = decision.Reasons, config_version = effective.Version, text_length = text.Length,
                screened = redaction.Screened, redactions = redactions.Select(r => new { r.Kind, r.Count, r.Values, r.Action }),
                injection = new { action = decision.Injection, score = verdict.Score, reasons = verdict.Reasons },
                path = pathCheck is null ? null : new { action = pathCheck.Action, eligible = pathCheck.Eligible, reason = pathCheck.Reason, prefix = pathCheck.Prefix },
            }, ct), ct);
        return new GuardrailCheckResult(checkId, decision.Action, decision.Reasons, recorded, effective.Version, redaction.Screened,
            redaction.TryGetText(out var redacted) ? redacted : null, redactions, injection, pathCheck);
    }
}
