using System.Text;

namespace AgentOps.Guardrails.Envelope;

/// <summary>
/// The key a model answer is cached under, scoped by organization:
/// <c>&lt;organization id&gt;:&lt;provider&gt;:&lt;model&gt;:&lt;promptHash&gt;:&lt;contextHash&gt;</c>. The organization id is
/// the GUID in its 36-character "D" form (lower case); provider and model are kept as given except that every
/// byte of their UTF-8 outside <c>A–Z a–z 0–9 . _ ~ - / @ +</c> is written <c>%XX</c> (upper-case hex), so <c>:</c>
/// and <c>%</c> never appear raw in them and the key splits back into its five fields unambiguously
/// (<c>("a:b", "c")</c> and <c>("a", "b:c")</c> give different keys). Provider and model are case-sensitive and
/// must not be empty; the organization must not be <see cref="Guid.Empty"/> (a key no organization owns must not
/// exist). Same inputs, same key, on every host and in every process: nothing in it depends on the culture, the
/// clock or the runtime.
/// </summary>
public sealed record PromptCacheKey(Guid OrganizationId, string Provider, string Model, string PromptHash, string ContextHash)
{
    public static PromptCacheKey For(Guid organizationId, string provider, string model, PromptEnvelope envelope)
    {
        if (organizationId == Guid.Empty) throw new ArgumentException("A cache key belongs to an organization.", nameof(organizationId));
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentNullException.ThrowIfNull(envelope);
        PromptEnvelope.RequireWellFormed(provider, nameof(provider));
        PromptEnvelope.RequireWellFormed(model, nameof(model));
        return new PromptCacheKey(organizationId, provider, model, envelope.PromptHash, envelope.ContextHash);
    }

    /// <summary>
    /// A hash of what else shapes the answer besides the prompt (tools, tool choice, response format, sampling, max
    /// tokens), appended as a sixth field when given: the same prompt with other tools is another question.
    /// </summary>
    public string OptionsHash { get; init; } = "";

    public string Value => OptionsHash.Length == 0
        ? $"{OrganizationId:D}:{Escape(Provider)}:{Escape(Model)}:{PromptHash}:{ContextHash}"
        : $"{OrganizationId:D}:{Escape(Provider)}:{Escape(Model)}:{PromptHash}:{ContextHash}:{OptionsHash}";

    public override string ToString() => Value;

    /// <summary>Percent-encodes every UTF-8 byte outside the safe set (see the class summary).</summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '~' or '-' or '/' or '@' or '+') sb.Append(c);
            else sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
