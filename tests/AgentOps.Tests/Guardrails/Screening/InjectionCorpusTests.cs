using AgentOps.Guardrails.Screening;
using AgentOps.Tests.Ingest;
using Xunit.Abstractions;

namespace AgentOps.Tests.Guardrails.Screening;

/// <summary>
/// The hostile corpus (corpus/injection.jsonl) and its benign counterpart (corpus/benign.jsonl), measured with
/// <see cref="ScreenCorpus"/>. The figures are in-sample (the rules were written against this corpus), so the floors
/// are a regression guard, not a promise about new attacks: docs/guardrails.md gives the out-of-sample figures.
/// The floors are pinned at the figures measured (a change that makes the screen faster, or adds a rule, must not cost
/// any of them): recall 1.0 (every attack in the corpus is flagged) and precision ≥ 0.963 (238 / 247: the nine benign
/// cases flagged on purpose — educational quotes of attacks, chat-format code, pasted transcripts, marked
/// <c>"expect": "flag"</c>); any other flag fails <see cref="No_benign_case_is_flagged_unless_documented"/> outright.
/// </summary>
public class InjectionCorpusTests(ITestOutputHelper output)
{
    public static string CorpusDirectory => Path.Combine(Repository.Root, "tests", "AgentOps.Tests", "Guardrails", "Screening", "corpus");

    /// <summary>Recall on the corpus as measured: every injection flagged.</summary>
    public const double RecallFloor = 1.0;

    /// <summary>Precision on the corpus as measured (238 true positives, 9 documented false positives: 0.9636).</summary>
    public const double PrecisionFloor = 0.963;

    private static readonly Lazy<CorpusMeasure> Measured = new(() => ScreenCorpus.MeasureDirectory(CorpusDirectory));

    [Fact]
    public void The_corpus_is_large_and_varied_enough_to_measure()
    {
        var injections = ScreenCorpus.Load(Path.Combine(CorpusDirectory, ScreenCorpus.InjectionFile));
        var benign = ScreenCorpus.Load(Path.Combine(CorpusDirectory, ScreenCorpus.BenignFile));
        Assert.True(injections.Count >= 120, $"{injections.Count} injection cases");
        Assert.True(benign.Count >= 120, $"{benign.Count} benign cases");
        Assert.All(injections.Concat(benign), c => Assert.False(string.IsNullOrWhiteSpace(c.Note), $"line {c.Line} has no note"));
        Assert.DoesNotContain(injections, c => c.Expect is not null);
        Assert.Equal(injections.Count, injections.Select(c => c.Text).Distinct().Count());
        Assert.Equal(benign.Count, benign.Select(c => c.Text).Distinct().Count());
    }

    [Fact]
    public void Precision_and_recall_hold_their_floors()
    {
        var m = Measured.Value;
        output.WriteLine(m.Report());
        Assert.True(m.Recall >= RecallFloor, m.Report());
        Assert.True(m.Precision >= PrecisionFloor, m.Report());
    }

    [Fact]
    public void No_benign_case_is_flagged_unless_documented()
    {
        var m = Measured.Value;
        Assert.True(m.UndocumentedFlags.Count == 0, m.Report());
    }
}
