using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentOps.Guardrails.Screening;

/// <summary>
/// One case of a screening corpus (a JSON Lines file, one object a line: <c>text</c>, <c>note</c>, and on a benign
/// case optionally <c>"expect": "flag"</c>: a false positive the screen makes on purpose, documented in
/// docs/guardrails.md). <see cref="Line"/> is the 1-based line in its file.
/// </summary>
public sealed record CorpusCase(string Text, string Note, string? Expect, int Line)
{
    public bool FlagExpected => Expect == "flag";
}

public sealed record CorpusResult(CorpusCase Case, ScreenVerdict Verdict);

/// <summary>
/// How the screen did on a corpus. A prediction is positive when the verdict is not Pass (Flag or Block).
/// Precision = TP / (TP + FP) counts every flagged benign case, the documented ones too; recall = TP / positives.
/// </summary>
public sealed record CorpusMeasure(
    int Positives, int Benign, int TruePositives, int FalsePositives, int DocumentedFalsePositives, int Blocked,
    IReadOnlyList<CorpusResult> Missed, IReadOnlyList<CorpusResult> UndocumentedFlags, IReadOnlyList<CorpusResult> DocumentedFlagsPassed)
{
    public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);

    public double Recall => Positives == 0 ? 1 : (double)TruePositives / Positives;

    /// <summary>The figures, and every miss and unexpected flag with its line and note (never more of the text than 80 characters).</summary>
    public string Report()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"positives {Positives}, benign {Benign}: recall {Recall:0.000} ({TruePositives}/{Positives}, {Blocked} blocked), ");
        sb.Append(CultureInfo.InvariantCulture, $"precision {Precision:0.000} ({FalsePositives} false positives, {DocumentedFalsePositives} of them documented)");
        foreach (var r in Missed) sb.Append(CultureInfo.InvariantCulture, $"\n  missed  line {r.Case.Line}: {r.Case.Note}: {Excerpt(r.Case.Text)}");
        foreach (var r in UndocumentedFlags) sb.Append(CultureInfo.InvariantCulture, $"\n  flagged line {r.Case.Line}: {r.Case.Note}: {r.Verdict.Summary}");
        foreach (var r in DocumentedFlagsPassed) sb.Append(CultureInfo.InvariantCulture, $"\n  passed  line {r.Case.Line} (documented as flagged): {r.Case.Note}");
        return sb.ToString();
    }

    private static string Excerpt(string text) => text.Length <= 80 ? text.ReplaceLineEndings(" ") : text[..80].ReplaceLineEndings(" ") + "…";
}

/// <summary>Loads a screening corpus and measures <see cref="InjectionScreen"/> on it (the unit tests and <c>./agentops bench guardrails</c>).</summary>
public static class ScreenCorpus
{
    public const string InjectionFile = "injection.jsonl";
    public const string BenignFile = "benign.jsonl";

    public static IReadOnlyList<CorpusCase> Load(string path)
    {
        var cases = new List<CorpusCase>();
        var number = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var text = root.GetProperty("text").GetString() ?? throw new InvalidDataException($"{path}:{number}: text is null");
            var note = root.TryGetProperty("note", out var n) ? n.GetString() ?? "" : "";
            var expect = root.TryGetProperty("expect", out var e) ? e.GetString() : null;
            if (expect is not (null or "flag")) throw new InvalidDataException($"{path}:{number}: expect must be \"flag\" or absent");
            cases.Add(new CorpusCase(text, note, expect, number));
        }
        return cases;
    }

    /// <summary>Measures the corpus in <paramref name="directory"/> (<see cref="InjectionFile"/> and <see cref="BenignFile"/>).</summary>
    public static CorpusMeasure MeasureDirectory(string directory) =>
        Measure(Load(Path.Combine(directory, InjectionFile)), Load(Path.Combine(directory, BenignFile)));

    public static CorpusMeasure Measure(IReadOnlyList<CorpusCase> injections, IReadOnlyList<CorpusCase> benign)
    {
        var positives = injections.Select(c => new CorpusResult(c, InjectionScreen.Screen(c.Text))).ToList();
        var negatives = benign.Select(c => new CorpusResult(c, InjectionScreen.Screen(c.Text))).ToList();
        var flagged = negatives.Where(r => r.Verdict.Action != ScreenAction.Pass).ToList();
        return new CorpusMeasure(
            Positives: positives.Count,
            Benign: negatives.Count,
            TruePositives: positives.Count(r => r.Verdict.Action != ScreenAction.Pass),
            FalsePositives: flagged.Count,
            DocumentedFalsePositives: flagged.Count(r => r.Case.FlagExpected),
            Blocked: positives.Count(r => r.Verdict.Action == ScreenAction.Block),
            Missed: [.. positives.Where(r => r.Verdict.Action == ScreenAction.Pass)],
            UndocumentedFlags: [.. flagged.Where(r => !r.Case.FlagExpected)],
            DocumentedFlagsPassed: [.. negatives.Where(r => r.Case.FlagExpected && r.Verdict.Action == ScreenAction.Pass)]);
    }
}
