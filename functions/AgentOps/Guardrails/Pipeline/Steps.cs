using System.Diagnostics;

namespace AgentOps.Guardrails.Pipeline;

/// <summary>
/// What a step answers. <see cref="Deny"/> is the enum's zero, so a result nobody set (<c>default</c>) denies: a missing
/// step result can never read as a pass.
/// </summary>
public enum StepVerdict
{
    Deny = 0,
    /// <summary>Go on to the next step.</summary>
    Continue = 1,
    /// <summary>The call is answered without the provider (a cache hit): the remaining pre-call steps are skipped.</summary>
    Answered = 2,
}

/// <summary>What happens when a step throws or overruns its time budget.</summary>
public enum StepFailure
{
    /// <summary>The call is refused (the default: fail closed).</summary>
    Deny = 0,
    /// <summary>The step is passed over and recorded as failed; only for steps whose absence weakens nothing (a cache).</summary>
    Skip = 1,
}

/// <summary>A step's answer: the verdict and, for a denial, a stable code and a reason safe to show the caller.</summary>
public readonly record struct StepResult(StepVerdict Verdict, string? Code = null, string? Reason = null)
{
    public static StepResult Continue { get; } = new(StepVerdict.Continue);

    public static StepResult Answered { get; } = new(StepVerdict.Answered);

    public static StepResult Deny(string code, string reason) => new(StepVerdict.Deny, code, reason);
}

/// <summary>
/// A step of the pipeline as it is declared: its name (as audit rows and spans show it), its time budget, and what its
/// own failure means. Every step has all three; <see cref="OnFailure"/> defaults to deny.
/// </summary>
public sealed record StepSpec(string Name, TimeSpan Budget, StepFailure OnFailure = StepFailure.Deny);

/// <summary>How a step went: its verdict, its time, and whether it failed (threw, timed out or overran its budget).</summary>
public sealed record StepRecord(string Step, string Outcome, double Milliseconds, string? Code = null, string? Detail = null);

/// <summary>
/// Runs one step under its declaration. An asynchronous step is cancelled at its budget; a synchronous one cannot be
/// stopped, so an overrun is noticed when it returns and counts as a timeout all the same (the result it computed too
/// late is not used). A failure becomes the declared <see cref="StepFailure"/>; the caller's own cancellation is
/// rethrown, never turned into a verdict.
/// </summary>
public static class StepRunner
{
    public const string Passed = "passed";
    public const string Denied = "denied";
    public const string Answered = "answered";
    public const string Failed = "failed";
    public const string TimedOut = "timed_out";

    public static async ValueTask<StepResult> RunAsync(StepSpec spec, Func<CancellationToken, ValueTask<StepResult>> step, List<StepRecord> records, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(spec.Budget);
        StepResult result;
        string? failure;
        string? detail = null;
        try
        {
            result = await step(budget.Token);
            failure = Stopwatch.GetElapsedTime(started) > spec.Budget ? TimedOut : null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            (result, failure) = (default, TimedOut);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The type only: a message may hold what the step was screening.
            (result, failure, detail) = (default, Failed, e.GetType().Name);
        }
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (failure is not null)
        {
            records.Add(new StepRecord(spec.Name, failure, ms, spec.OnFailure == StepFailure.Skip ? "skipped" : "step_" + failure, detail));
            return spec.OnFailure == StepFailure.Skip
                ? StepResult.Continue
                : StepResult.Deny("guardrail_unavailable", $"The {spec.Name} step {(failure == TimedOut ? "did not finish within its time budget" : "failed")}: the call was refused (fail closed).");
        }
        records.Add(new StepRecord(spec.Name, result.Verdict switch { StepVerdict.Continue => Passed, StepVerdict.Answered => Answered, _ => Denied }, ms, result.Code,
            result.Verdict == StepVerdict.Deny ? result.Reason : null));
        return result;
    }

    /// <summary>A synchronous step (pure work, no I/O) under the same rules.</summary>
    public static ValueTask<StepResult> Run(StepSpec spec, Func<StepResult> step, List<StepRecord> records, CancellationToken ct) =>
        RunAsync(spec, _ => ValueTask.FromResult(step()), records, ct);
}
