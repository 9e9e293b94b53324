namespace AgentOps.Providers;

/// <summary>The harm categories Gemini's safety settings adjust (HARM_CATEGORY_*).</summary>
public enum GeminiHarmCategory { Harassment, HateSpeech, SexuallyExplicit, DangerousContent }

/// <summary>From which probability of harm Gemini blocks a category's content (BLOCK_*, or OFF: no filter, no ratings).</summary>
public enum GeminiBlockThreshold { BlockLowAndAbove, BlockMediumAndAbove, BlockOnlyHigh, BlockNone, Off }

/// <summary>One entry of a request's safetySettings.</summary>
public sealed record GeminiSafetySetting(GeminiHarmCategory Category, GeminiBlockThreshold Threshold)
{
    /// <summary>The category as the wire spells it (HARM_CATEGORY_HATE_SPEECH, …).</summary>
    public string WireCategory => Category switch
    {
        GeminiHarmCategory.Harassment => "HARM_CATEGORY_HARASSMENT",
        GeminiHarmCategory.HateSpeech => "HARM_CATEGORY_HATE_SPEECH",
        GeminiHarmCategory.SexuallyExplicit => "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        GeminiHarmCategory.DangerousContent => "HARM_CATEGORY_DANGEROUS_CONTENT",
        _ => throw new ArgumentOutOfRangeException(nameof(Category), Category, null),
    };

    /// <summary>The threshold as the wire spells it (BLOCK_MEDIUM_AND_ABOVE, …).</summary>
    public string WireThreshold => Threshold switch
    {
        GeminiBlockThreshold.BlockLowAndAbove => "BLOCK_LOW_AND_ABOVE",
        GeminiBlockThreshold.BlockMediumAndAbove => "BLOCK_MEDIUM_AND_ABOVE",
        GeminiBlockThreshold.BlockOnlyHigh => "BLOCK_ONLY_HIGH",
        GeminiBlockThreshold.BlockNone => "BLOCK_NONE",
        GeminiBlockThreshold.Off => "OFF",
        _ => throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, null),
    };
}

/// <summary>
/// Named safety presets for <see cref="GeminiOptions.SafetySettings"/>, each setting all four adjustable categories:
/// <see cref="Strict"/> blocks from a low probability of harm, <see cref="Default"/> from a medium one (what the
/// older models do unasked; newer ones default to no blocking, so asking is what makes it hold), <see cref="Permissive"/>
/// only a high one, <see cref="Unfiltered"/> nothing (content is still rated). Gemini's own non-adjustable filters
/// (child safety, PROHIBITED_CONTENT, SPII) apply whatever the preset.
/// </summary>
public static class GeminiSafety
{
    public static IReadOnlyList<GeminiSafetySetting> Strict { get; } = All(GeminiBlockThreshold.BlockLowAndAbove);

    public static IReadOnlyList<GeminiSafetySetting> Default { get; } = All(GeminiBlockThreshold.BlockMediumAndAbove);

    public static IReadOnlyList<GeminiSafetySetting> Permissive { get; } = All(GeminiBlockThreshold.BlockOnlyHigh);

    public static IReadOnlyList<GeminiSafetySetting> Unfiltered { get; } = All(GeminiBlockThreshold.BlockNone);

    /// <summary>The presets by name (case-insensitive), for configuration: strict, default, permissive, unfiltered.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<GeminiSafetySetting>> Presets { get; } =
        new Dictionary<string, IReadOnlyList<GeminiSafetySetting>>(StringComparer.OrdinalIgnoreCase)
        {
            ["strict"] = Strict, ["default"] = Default, ["permissive"] = Permissive, ["unfiltered"] = Unfiltered,
        };

    /// <summary>The preset named <paramref name="name"/>; unknown names throw <see cref="ArgumentException"/> (a misspelt preset must not silently lower the filter).</summary>
    public static IReadOnlyList<GeminiSafetySetting> Preset(string name) =>
        Presets.TryGetValue(name, out var preset) ? preset
            : throw new ArgumentException($"Unknown Gemini safety preset '{name}' (known: {string.Join(", ", Presets.Keys)}).", nameof(name));

    /// <summary>Every adjustable category at <paramref name="threshold"/>.</summary>
    public static IReadOnlyList<GeminiSafetySetting> All(GeminiBlockThreshold threshold) =>
        [.. Enum.GetValues<GeminiHarmCategory>().Select(c => new GeminiSafetySetting(c, threshold))];
}
