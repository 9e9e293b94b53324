using System.Buffers;
using System.Globalization;
using System.Text;

namespace AgentOps.Guardrails.Screening;

/// <summary>
/// Screens untrusted text (user messages, retrieved documents, tool results, e-mails) for prompt injection before
/// it reaches a model. Pure and deterministic: the same text gives the same verdict on every host (no regex
/// timeouts, no culture, its own Unicode fold). It prefers false positives to misses: any finding flags, and the
/// pipeline records every verdict's reasons. See docs/guardrails.md (Injection screen) for the rules and the limits.
/// </summary>
public static class InjectionScreen
{
    /// <summary>The longest text screened (UTF-16 code units). Longer: Block with reason <c>too_large</c>, never Pass.</summary>
    public const int MaxInputChars = 128 * 1024;

    /// <summary>Decoded characters (bytes sniffed and decoded) one screen spends on payloads, at every depth together.</summary>
    public const int MaxDecodedChars = 256 * 1024;

    /// <summary>Payloads that read as text (and are screened in turn) per screen.</summary>
    public const int MaxPayloads = 256;

    /// <summary>How deep encodings are unwrapped: base64 of hex of URL-encoding is depth 3; a fourth layer is not read.</summary>
    public const int MaxDecodeDepth = 3;

    /// <summary>Findings a verdict lists (each rule keeps at least one); the score counts them all.</summary>
    public const int MaxFindings = 64;

    /// <summary>The score from which a verdict is Block.</summary>
    public const double BlockScore = 0.8;

    /// <summary>
    /// Builds the rules' automata and keyword indexes (about two seconds, once per process; the first screen
    /// would pay it otherwise). Call at start-up where the first screened request must not wait.
    /// </summary>
    public static void Prepare()
    {
        _ = RuleSets.Normalized.Entries.Count;
        _ = Payloads.Find("", new DecodeBudget()).Count();
    }

    /// <summary>Every rule the screen has, by stable id.</summary>
    public static IReadOnlyList<ScreenRule> Rules => ScreenRules.Catalog;

    private readonly record struct Hit(string RuleId, string Reason, int Start, int End, string Form, double Weight);

    public static ScreenVerdict Screen(string text) => Screen(text, new DecodeBudget());

    /// <summary>The screen with another decoding budget (tests exercise the limits with small ones).</summary>
    internal static ScreenVerdict Screen(string text, DecodeBudget budget)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxInputChars)
            return Verdict([new Hit(ScreenRules.TooLarge, $"{text.Length} characters: more than the {MaxInputChars} screened", 0, text.Length, "raw", 1.0)]);
        var hits = new List<Hit>();
        try
        {
            Analyze(text, 0, budget, hits);
            if (budget.ExceededAt >= 0)
                hits.Add(new Hit(ScreenRules.DecodeLimit, "encoded text beyond the decoding budget was not read", budget.ExceededAt, budget.ExceededEnd, "raw", Weight(ScreenRules.DecodeLimit)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Fail closed: a text the screen cannot read is not let through.
            return Verdict([new Hit(ScreenRules.ScreenError, e.GetType().Name, 0, text.Length, "raw", 1.0)]);
        }
        return Verdict(hits);
    }

    private static double Weight(string ruleId) => ScreenRules.ById[ruleId].Weight;

    private static void Analyze(string text, int depth, DecodeBudget budget, List<Hit> hits)
    {
        // Printable ASCII and ordinary line breaks hold no invisible, bidi, tag or look-alike character.
        if (text.AsSpan().ContainsAnyExcept(PlainAscii) || RuleSet.Exhaustive) CharacterRules(text, hits);
        foreach (var (rule, index, length) in RuleSets.Raw.Run(text))
            hits.Add(new Hit(rule.Id, rule.Reason, index, index + length, "raw", Weight(rule.Id)));

        var normalized = TextForms.Normalize(text);
        var plain = new List<Hit>();
        Match(normalized, "normalized", RuleSets.Normalized, plain);
        foreach (var hit in plain)
        {
            hits.Add(hit);
            if (TextForms.HasDisguise(text, hit.Start, hit.End))
                hits.Add(new Hit(ScreenRules.Confusable, $"written with look-alike or invisible characters: {hit.Reason}", hit.Start, hit.End, "normalized", Weight(ScreenRules.Confusable)));
        }

        // Obfuscated readings: a finding counts only where the plain reading found nothing of the same rule.
        var readings = new List<TextForm> { normalized };
        if (TextForms.HasLeet(normalized.Text))
        {
            // '1' reads as i everywhere (1gn0re, pr3v10us), or as i only at the start of a word (ru1es, a11).
            readings.Add(TextForms.Deleet(normalized, TextForms.One.I));
            if (normalized.Text.Contains('1', StringComparison.Ordinal)) readings.Add(TextForms.Deleet(normalized, TextForms.One.ByPosition));
            // A reading that reads as one before it would only repeat its findings (merged in the verdict anyway).
            for (var i = readings.Count - 1; i > 0; i--)
                if (readings.Take(i).Any(r => r.Text == readings[i].Text) && !RuleSet.Exhaustive) readings.RemoveAt(i);
            foreach (var leet in readings.Skip(1))
            {
                var found = new List<Hit>();
                Match(leet, "leet", RuleSets.Phrase, found);
                foreach (var hit in found.Where(h => !Overlaps(plain, h)))
                {
                    hits.Add(hit);
                    hits.Add(new Hit(ScreenRules.Leetspeak, $"in leetspeak: {hit.Reason}", hit.Start, hit.End, "leet", Weight(ScreenRules.Leetspeak)));
                }
            }
        }
        foreach (var reading in readings)
        {
            var letters = TextForms.LettersOnly(reading);
            var found = new List<Hit>();
            Match(letters, "letters", RuleSets.Letters, found);
            foreach (var hit in found.Where(h => !OverlapsAny(plain, h) && LooksSplit(text, h.Start, h.End)))
                hits.Add(hit with { Reason = "instruction with its letters spaced, split or run together" });
        }
        foreach (var (set, derive, name, ruleId, reason) in new (RuleSet, Func<TextForm, TextForm>, string, string, string)[]
        {
            (RuleSets.Rot13, TextForms.Rot13, "rot13", ScreenRules.Rot13, "in ROT13"),
            (RuleSets.Reversed, TextForms.Reversed, "reversed", ScreenRules.Reversed, "written backwards"),
        })
        {
            // Asked of the normalized text with the literals in this reading: the form is built only when a rule can match it.
            if (!set.Triggers(normalized.Text)) continue;
            var form = derive(normalized);
            var found = new List<Hit>();
            Match(form, name, RuleSets.Phrase, found);
            foreach (var hit in found.Where(h => !Overlaps(plain, h)))
                hits.Add(new Hit(ruleId, $"{reason}: {hit.Reason}", hit.Start, hit.End, name, Weight(ruleId)));
        }

        if (depth >= MaxDecodeDepth)
        {
            // Still encoded at the last layer read: what it says is unknown, so it is not let through.
            if (Payloads.Find(text, budget).Any())
                hits.Add(new Hit(ScreenRules.DecodeLimit, $"encoded more than {MaxDecodeDepth} layers deep", 0, text.Length, "raw", Weight(ScreenRules.DecodeLimit)));
            return;
        }
        foreach (var payload in Payloads.Find(text, budget))
        {
            var inner = new List<Hit>();
            Analyze(payload.Text, depth + 1, budget, inner);
            var relevant = payload.Decoded is { } decoded ? inner.Where(h => Touches(decoded, h.Start, h.End)).ToList() : inner;
            if (relevant.Count == 0) continue;
            var (start, end) = (payload.Start, payload.End);
            if (payload.Map is { } map)
            {
                start = int.MaxValue;
                end = 0;
                foreach (var h in relevant)
                {
                    var (s, e) = map.ToSource(h.Start, h.End);
                    (start, end) = (Math.Min(start, s), Math.Max(end, e));
                }
            }
            var instruction = relevant.Any(h => IsInstruction(h.RuleId));
            var weight = instruction ? Math.Max(Weight(payload.RuleId), relevant.Max(h => h.Weight)) : relevant.Max(h => h.Weight);
            var rules = string.Join(", ", relevant.Select(h => h.RuleId).Distinct());
            hits.Add(new Hit(payload.RuleId, $"{payload.Form} payload decodes to: {rules}", start, end, payload.Form, weight));
        }
    }

    private static bool IsInstruction(string ruleId) =>
        ruleId.StartsWith("override.", StringComparison.Ordinal) || ruleId.StartsWith("role.", StringComparison.Ordinal)
        || ruleId.StartsWith("exfil.", StringComparison.Ordinal) || ruleId.StartsWith("encoded.", StringComparison.Ordinal) && ruleId != ScreenRules.DecodeLimit
        || ruleId is ScreenRules.Confusable or ScreenRules.Leetspeak or ScreenRules.Spacing or ScreenRules.Reversed;

    private static bool Touches(bool[] decoded, int start, int end)
    {
        for (var i = Math.Max(0, start); i < end && i < decoded.Length; i++)
            if (decoded[i]) return true;
        return false;
    }

    /// <summary>The findings of <paramref name="rules"/> in <paramref name="form"/> (the same as every rule's full scan: see <see cref="RuleSet"/>).</summary>
    private static void Match(TextForm form, string name, RuleSet rules, List<Hit> found)
    {
        foreach (var (rule, index, length) in rules.Run(form.Text))
        {
            var (start, end) = form.ToSource(index, index + length);
            found.Add(new Hit(rule.Id, rule.Reason, start, end, name, Weight(rule.Id)));
        }
    }

    /// <summary>Printable ASCII, tab and line breaks: a text of only these needs no character rule.</summary>
    private static readonly SearchValues<char> PlainAscii = SearchValues.Create("\t\n\v\f\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private static bool Overlaps(List<Hit> hits, Hit hit) => hits.Any(h => h.RuleId == hit.RuleId && h.Start < hit.End && hit.Start < h.End);

    private static bool OverlapsAny(List<Hit> hits, Hit hit) => hits.Any(h => h.Start < hit.End && hit.Start < h.End);

    /// <summary>
    /// Whether a phrase found in the letters-only reading was disguised in the text: its letter runs average under 3
    /// (spaced out, dotted, split by invisible characters) or over 12 (run together), a word is split by punctuation
    /// (ig-nore, in.struc.tions; an apostrophe does not count), or it holds disguised letters or leetspeak. A phrase
    /// written plainly is left to the plain rules (which may have their reasons to let it be).
    /// </summary>
    private static bool LooksSplit(string text, int start, int end)
    {
        int runs = 0, letters = 0;
        var inRun = false;
        var leet = false;
        var split = false;
        for (var i = start; i < end; i++)
        {
            var letter = char.IsLetter(text[i]);
            if (letter) letters++;
            if (letter && !inRun) runs++;
            inRun = letter;
            leet |= char.IsAsciiDigit(text[i]) || text[i] is '@' or '$' or '!' or '|';
            split |= i > start && i + 1 < end && char.IsLetter(text[i - 1]) && char.IsLetter(text[i + 1])
                && !char.IsLetter(text[i]) && !char.IsWhiteSpace(text[i]) && text[i] is not ('\'' or '\u2019');
        }
        if (runs == 0) return false;
        var average = (double)letters / runs;
        return average < 3 || average > 12 || leet || split || TextForms.HasDisguise(text, start, end);
    }

    /// <summary>Invisible characters, bidi controls, tag characters, variation-selector runs and mixed-script words, on the text as given.</summary>
    private static void CharacterRules(string text, List<Hit> hits)
    {
        var runes = new List<(int Index, Rune Rune)>(text.Length);
        for (var i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used);
            runes.Add((i, rune));
            i += used;
        }
        var rtl = runes.Any(r => IsRtl(r.Rune.Value));
        int End(int k) => runes[k].Index + runes[k].Rune.Utf16SequenceLength;
        var invisible = new List<(int Start, int End)>();
        var bidi = new List<(int Start, int End)>();
        for (var k = 0; k < runes.Count; k++)
        {
            var cp = runes[k].Rune.Value;
            var prev = k > 0 ? runes[k - 1].Rune : (Rune?)null;
            var next = k + 1 < runes.Count ? runes[k + 1].Rune : (Rune?)null;
            if (cp is >= 0xE0000 and <= 0xE007F)
            {
                var first = k;
                while (k + 1 < runes.Count && runes[k + 1].Rune.Value is >= 0xE0000 and <= 0xE007F) k++;
                var codes = runes.Skip(first).Take(k - first + 1).Select(r => r.Rune.Value).ToList();
                if (!Payloads.IsEmojiTagSequence(text, runes[first].Index, codes))
                    hits.Add(new Hit(ScreenRules.TagChars, $"{codes.Count} tag characters (invisible ASCII)", runes[first].Index, End(k), "raw", Weight(ScreenRules.TagChars)));
                continue;
            }
            if (TextForms.IsVariationSelector(cp))
            {
                var first = k;
                while (k + 1 < runes.Count && TextForms.IsVariationSelector(runes[k + 1].Rune.Value)) k++;
                if (k > first)
                    hits.Add(new Hit(ScreenRules.VariationSelectors, $"{k - first + 1} variation selectors in a row", runes[first].Index, End(k), "raw", Weight(ScreenRules.VariationSelectors)));
                else if (prev is { } p && Rune.IsLetter(p) && !(cp >= 0xE0100 && IsIdeograph(p.Value)))
                    invisible.Add((runes[k].Index, End(k)));
                continue;
            }
            if (cp is >= 0x202A and <= 0x202E or >= 0x2066 and <= 0x2069)
            {
                bidi.Add((runes[k].Index, End(k)));
                continue;
            }
            if (!TextForms.IsInvisible(runes[k].Rune) || cp is '\n' or '\r' or '\t' or '\v' or '\f') continue;
            var allowed = cp switch
            {
                0xFEFF => k == 0,
                0x200E or 0x200F or 0x061C => rtl,
                0x200D => IsEmoji(prev) && IsEmoji(next) || IsScriptLetter(prev) && IsScriptLetter(next),
                0x200C => IsScriptLetter(prev) && IsScriptLetter(next),
                _ => false,
            };
            if (!allowed) invisible.Add((runes[k].Index, End(k)));
        }
        AddRuns(invisible, ScreenRules.Invisible, "invisible characters", hits);
        AddRuns(bidi, ScreenRules.Bidi, "bidirectional override or isolate controls", hits);
        MixedScript(runes, hits);
    }

    /// <summary>One finding per run of characters (a run continues across up to 16 other characters).</summary>
    private static void AddRuns(List<(int Start, int End)> at, string ruleId, string reason, List<Hit> hits)
    {
        var k = 0;
        while (k < at.Count)
        {
            var (start, end) = at[k];
            var count = 1;
            while (k + 1 < at.Count && at[k + 1].Start - end <= 16)
            {
                end = at[++k].End;
                count++;
            }
            hits.Add(new Hit(ruleId, $"{count} {reason}", start, end, "raw", Weight(ruleId)));
            k++;
        }
    }

    private static bool IsRtl(int cp) => cp is >= 0x0590 and <= 0x08FF or >= 0xFB1D and <= 0xFDFF or >= 0xFE70 and <= 0xFEFF;

    private static bool IsIdeograph(int cp) => cp is >= 0x3400 and <= 0x9FFF or >= 0x20000 and <= 0x3FFFF;

    private static bool IsEmoji(Rune? rune) => rune is { } r && (r.Value is >= 0x1F000 and <= 0x1FAFF or >= 0x2600 and <= 0x27BF or >= 0x2B00 and <= 0x2BFF
        or >= 0x2300 and <= 0x23FF or 0xFE0F or 0x20E3 or 0x00A9 or 0x00AE or 0x2122);

    /// <summary>A letter or mark of a script that joins with ZWJ/ZWNJ (beyond Latin: Arabic, Persian, Indic…).</summary>
    private static bool IsScriptLetter(Rune? rune) => rune is { } r && r.Value >= 0x0370 && (Rune.IsLetter(r) || TextForms.IsMark(r));

    private enum Script { None, Latin, Cyrillic, Greek, Armenian, Cherokee, Compatibility }

    private static Script ScriptOf(int cp) => cp switch
    {
        >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= 0xC0 and <= 0x24F or >= 0x1E00 and <= 0x1EFF => Script.Latin,
        >= 0x400 and <= 0x52F or >= 0x1C80 and <= 0x1C8F or >= 0x2DE0 and <= 0x2DFF or >= 0xA640 and <= 0xA69F => Script.Cyrillic,
        >= 0x370 and <= 0x3FF or >= 0x1F00 and <= 0x1FFF => Script.Greek,
        >= 0x530 and <= 0x58F => Script.Armenian,
        >= 0x13A0 and <= 0x13FF or >= 0xAB70 and <= 0xABBF => Script.Cherokee,
        >= 0xFF21 and <= 0xFF3A or >= 0xFF41 and <= 0xFF5A or >= 0x1D400 and <= 0x1D7FF or >= 0x24B6 and <= 0x24E9 or >= 0x1F130 and <= 0x1F189
            or >= 0x250 and <= 0x2AF or >= 0x1D00 and <= 0x1D2B or 0xA730 or 0xA731 => Script.Compatibility,
        _ => Script.None,
    };

    /// <summary>Greek letters science writes next to Latin ones (μg, α-helix, Δx): not a spoof when they are all a word has.</summary>
    private const string ScienceGreek = "αβγδΔεθκλμπσΣωΩ";

    private static void MixedScript(List<(int Index, Rune Rune)> runes, List<Hit> hits)
    {
        var k = 0;
        while (k < runes.Count)
        {
            if (!Rune.IsLetter(runes[k].Rune)) { k++; continue; }
            var first = k;
            var scripts = new HashSet<Script>();
            var greek = new StringBuilder();
            while (k < runes.Count && (Rune.IsLetter(runes[k].Rune) || TextForms.IsMark(runes[k].Rune)))
            {
                var script = ScriptOf(runes[k].Rune.Value);
                if (script != Script.None) scripts.Add(script);
                if (script == Script.Greek) greek.Append(runes[k].Rune.ToString());
                k++;
            }
            scripts.Remove(Script.None);
            if (scripts.Count < 2) continue;
            if (scripts.SetEquals([Script.Latin, Script.Greek]) && greek.Length <= 2 && greek.ToString().All(c => ScienceGreek.Contains(c))) continue;
            var end = runes[k - 1].Index + runes[k - 1].Rune.Utf16SequenceLength;
            hits.Add(new Hit(ScreenRules.MixedScript, "a word mixes " + string.Join(" and ", scripts.Order().Select(s => s.ToString().ToLowerInvariant())),
                runes[first].Index, end, "raw", Weight(ScreenRules.MixedScript)));
        }
    }

    /// <summary>Merges a rule's overlapping hits, orders them, caps the list (each rule keeps one) and scores.</summary>
    private static ScreenVerdict Verdict(List<Hit> hits)
    {
        var merged = new List<Hit>();
        foreach (var group in hits.GroupBy(h => h.RuleId))
        {
            Hit? current = null;
            foreach (var h in group.OrderBy(h => h.Start).ThenByDescending(h => h.End))
            {
                if (current is { } c && h.Start <= c.End)
                {
                    current = c with { End = Math.Max(c.End, h.End), Weight = Math.Max(c.Weight, h.Weight) };
                    continue;
                }
                if (current is { } done) merged.Add(done);
                current = h;
            }
            if (current is { } last) merged.Add(last);
        }
        merged.Sort(Order);
        var score = 1.0;
        foreach (var weight in merged.GroupBy(h => h.RuleId).Select(g => g.Max(h => h.Weight))) score *= 1 - weight;
        score = Math.Round(1 - score, 4, MidpointRounding.AwayFromZero);
        var kept = merged;
        if (merged.Count > MaxFindings)
        {
            var firsts = merged.GroupBy(h => h.RuleId).Select(g => g.First()).ToHashSet();
            kept = [.. firsts, .. merged.Where(h => !firsts.Contains(h)).Take(Math.Max(0, MaxFindings - firsts.Count))];
            kept.Sort(Order);
        }
        var findings = kept.Select(h => new ScreenFinding(h.RuleId, h.Reason, new ScreenSpan(h.Start, h.End - h.Start), h.Form,
            Math.Round(h.Weight, 4, MidpointRounding.AwayFromZero))).ToList();
        var action = findings.Count == 0 ? ScreenAction.Pass : score >= BlockScore ? ScreenAction.Block : ScreenAction.Flag;
        return new ScreenVerdict(action, score, findings);
    }

    private static int Order(Hit a, Hit b) =>
        a.Start != b.Start ? a.Start.CompareTo(b.Start)
        : string.CompareOrdinal(a.RuleId, b.RuleId) is var byRule and not 0 ? byRule
        : a.End.CompareTo(b.End);

    /// <summary>For logs: the verdict with each finding's rule, span and form (never the text).</summary>
    public static string Describe(ScreenVerdict verdict) =>
        verdict.Summary + string.Concat(verdict.Findings.Select(f => string.Create(CultureInfo.InvariantCulture, $"\n  {f.RuleId} {f.Span} ({f.Form}, {f.Weight:0.##}): {f.Reason}")));
}
