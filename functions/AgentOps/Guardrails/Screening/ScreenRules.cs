using System.Text.RegularExpressions;

namespace AgentOps.Guardrails.Screening;

/// <summary>A rule of the screen: its stable id, what it catches, and its weight in the score.</summary>
public sealed record ScreenRule(string Id, string Description, double Weight);

/// <summary>Where a word rule runs.</summary>
internal enum RuleScope
{
    /// <summary>Instruction phrases: the normalized form, its leetspeak, ROT13 and reversed readings, decoded payloads.</summary>
    Phrase,

    /// <summary>Role and markup structure: the normalized form and its leetspeak reading, decoded payloads.</summary>
    Structure,

    /// <summary>Phrases with every non-letter removed: spaced-out, dotted or zero-width-split words.</summary>
    Letters,

    /// <summary>The text as given (case-sensitive markers, other languages).</summary>
    Raw,
}

/// <summary>
/// A word rule: a pattern (run by the non-backtracking engine: linear in the input, whatever the input), and the
/// checks that engine cannot express as lookarounds. <paramref name="Negatable"/>: a match a negation shortly
/// precedes ("never share your password") does not count. <paramref name="NotFollowedBy"/>: nor one the text right
/// after it matches (anchored there). <paramref name="RejectMatch"/>: nor one whose own text matches. The engine caps
/// an automaton's size: a pattern too large for one is split between its top-level alternatives (<see cref="Patterns"/>).
/// </summary>
internal sealed record WordRule(string Id, string Reason, string Pattern, RuleScope Scope, bool CaseSensitive = false,
    bool Negatable = false, string? NotFollowedBy = null, string? RejectMatch = null)
{
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | RegexOptions.IgnorePatternWhitespace
        | RegexOptions.Multiline | RegexOptions.NonBacktracking;

    /// <summary>The pattern as the engine runs it: one <see cref="RulePattern"/> per group of alternatives.</summary>
    public IReadOnlyList<RulePattern> Patterns { get; } = Build([.. Alternatives(Pattern)], Scope == RuleScope.Raw && !CaseSensitive ? Options | RegexOptions.IgnoreCase : Options);

    /// <summary>The patterns' regular expressions, for a scan of a whole text.</summary>
    public IEnumerable<Regex> Regexes => Patterns.Select(p => p.Regex);

    private readonly Regex? _after = NotFollowedBy is null ? null : new Regex(@"\A(?:" + NotFollowedBy + ")", Options);
    private readonly Regex? _reject = RejectMatch is null ? null : new Regex(RejectMatch, Options);

    /// <summary>What the engine and the extra checks both accept in <paramref name="text"/>.</summary>
    public IEnumerable<Match> Matches(string text) => Regexes.SelectMany(regex => Matches(regex, text));

    /// <summary>What one of <see cref="Regexes"/> and the extra checks both accept in <paramref name="text"/>.</summary>
    public IEnumerable<Match> Matches(Regex regex, string text)
    {
        foreach (Match m in regex.Matches(text))
            if (m.Length > 0 && Accepts(text, m.Index, m.Length)) yield return m;
    }

    /// <summary>Whether the checks beyond the pattern accept its match [<paramref name="index"/>, +<paramref name="length"/>) of <paramref name="text"/>.</summary>
    public bool Accepts(string text, int index, int length)
    {
        if (Negatable && ScreenRules.Negated(text, index)) return false;
        if (_after is not null && _after.IsMatch(text.AsSpan(index + length))) return false;
        return _reject is null || !_reject.IsMatch(text.AsSpan(index, length));
    }

    /// <summary>Whether the pattern runs on the text as given, ignoring case.</summary>
    public bool IgnoresCase => Scope == RuleScope.Raw && !CaseSensitive;

    /// <summary>
    /// As few automata as the engine's size limit allows: all the alternatives in one, else each half in its own. The
    /// limit is tried on the anchored form (<see cref="RulePattern.Anchored"/>, the one the screen runs; a test checks
    /// the groups are those the plain patterns would get).
    /// </summary>
    private static List<RulePattern> Build(string[] alternatives, RegexOptions options)
    {
        try
        {
            return [new RulePattern(string.Join("|", alternatives), options)];
        }
        catch (NotSupportedException) when (alternatives.Length > 1)
        {
            var half = alternatives.Length / 2;
            return [.. Build(alternatives[..half], options), .. Build(alternatives[half..], options)];
        }
    }

    /// <summary>The pattern's top-level alternatives (outside groups and character classes).</summary>
    internal static IEnumerable<string> Alternatives(string pattern)
    {
        var depth = 0;
        var inClass = false;
        var start = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\') { i++; continue; }
            if (inClass) { inClass = c != ']'; continue; }
            switch (c)
            {
                case '[': inClass = true; break;
                case '(': depth++; break;
                case ')': depth--; break;
                case '|' when depth == 0:
                    yield return pattern[start..i];
                    start = i + 1;
                    break;
            }
        }
        yield return pattern[start..];
    }
}

/// <summary>
/// One group of a rule's alternatives. <see cref="Anchored"/> matches only at the start of the text it is given, after
/// one character of context (so <c>\b</c> and <c>^</c> read what the whole text has before the place tried): the screen
/// tries it where a match can start (see <see cref="RuleSet"/>). <see cref="Regex"/>, the plain pattern, scans a whole
/// text; it is built the first time one is needed (a rule whose matches can start anywhere, a text the keyword index
/// cannot read), which keeps <see cref="InjectionScreen.Prepare"/> to one automaton per group.
/// </summary>
internal sealed class RulePattern(string pattern, RegexOptions options)
{
    private Regex? _regex;

    public string Pattern { get; } = pattern;

    // The line break closes a trailing comment of a pattern written with IgnorePatternWhitespace.
    public Regex Anchored { get; } = new(@"\A[\s\S](?:" + pattern + "\n)", options);

    public Regex Regex => _regex ??= new Regex(Pattern, options);
}

/// <summary>
/// The word rules. Patterns run on the normalized form (lower case, ASCII look-alikes folded) unless their scope is
/// <see cref="RuleScope.Raw"/>. Every quantifier is bounded or runs over disjoint character classes, so matching
/// stays linear in the input (no timeouts needed, which would make verdicts depend on the machine).
/// </summary>
internal static class ScreenRules
{
    public const string IgnorePrevious = "override.ignore_previous";
    public const string NewInstructions = "override.new_instructions";
    public const string FromNowOn = "override.from_now_on";
    public const string Persona = "override.persona";
    public const string Jailbreak = "override.jailbreak";
    public const string NoRefusal = "override.no_refusal";
    public const string RoleLabel = "role.label";
    public const string ChatMarkup = "role.chat_markup";
    public const string FakeToolResult = "role.fake_tool_result";
    public const string SystemPrompt = "exfil.system_prompt";
    public const string Credentials = "exfil.credentials";
    public const string SendOut = "exfil.send_out";
    public const string UrlSmuggling = "exfil.url_smuggling";
    public const string DecodeRequest = "encoded.decode_request";
    public const string AddressedToAi = "override.addressed_to_ai";
    public const string Authority = "override.authority_claim";
    public const string Secrecy = "override.secrecy";
    public const string Invisible = "hidden.invisible";
    public const string Bidi = "hidden.bidi";
    public const string TagChars = "hidden.tag_chars";
    public const string VariationSelectors = "hidden.variation_selectors";
    public const string MixedScript = "hidden.mixed_script";
    public const string Confusable = "hidden.confusable";
    public const string Leetspeak = "hidden.leetspeak";
    public const string Spacing = "hidden.spacing";
    public const string Reversed = "hidden.reversed";
    public const string Rot13 = "encoded.rot13";
    public const string Base64 = "encoded.base64";
    public const string Hex = "encoded.hex";
    public const string Binary = "encoded.binary";
    public const string UrlEncoded = "encoded.url";
    public const string Escapes = "encoded.escapes";
    public const string TagPayload = "encoded.tag_chars";
    public const string SelectorPayload = "encoded.variation_selectors";
    public const string DecodeLimit = "encoded.decode_limit";
    public const string TooLarge = "too_large";
    public const string ScreenError = "screen_error";

    /// <summary>Every rule id, with its description and weight.</summary>
    public static readonly IReadOnlyList<ScreenRule> Catalog =
    [
        new(IgnorePrevious, "an instruction to ignore, disregard or forget previous instructions, rules or guidelines", 0.6),
        new(NewInstructions, "new, real or overriding instructions announced, or the previous ones declared void", 0.6),
        new(FromNowOn, "a standing order for the rest of the conversation (\"from now on you will…\")", 0.5),
        new(Persona, "a persona switch (\"you are now…\", act as an unrestricted AI, you are no longer an assistant)", 0.6),
        new(Jailbreak, "a jailbreak persona or mode (DAN, developer mode, no ethical or safety restrictions)", 0.6),
        new(NoRefusal, "an order never to refuse, to stay in character, or to answer without warnings", 0.45),
        new(RoleLabel, "a line that poses as a system, assistant or developer turn (\"system: …\")", 0.5),
        new(ChatMarkup, "chat-template or prompt-section markup (<|im_start|>, [INST], <<SYS>>, ### System, <system>, \"role\": \"system\")", 0.7),
        new(FakeToolResult, "text posing as a tool or function result", 0.5),
        new(SystemPrompt, "a request to print, reveal or repeat the system prompt or the instructions above", 0.6),
        new(Credentials, "a request for the assistant's or the system's API keys, secrets, passwords or environment", 0.6),
        new(SendOut, "an order to send conversation, user data or secrets to a URL, e-mail address or endpoint", 0.7),
        new(UrlSmuggling, "data smuggled into a URL: a markdown image or link with a placeholder, or an order to append data to one", 0.7),
        new(DecodeRequest, "an order to decode something and follow it, or to follow hidden or encoded instructions", 0.7),
        new(Authority, "a claim of authority over the model (its developer, its vendor's staff, an administrator) or a grant of new permissions", 0.5),
        new(Secrecy, "an order to hide an action or an instruction from the user (\"do not mention this step\")", 0.5),
        new(AddressedToAi, "text addressed to an AI reading it (\"note to the AI\", \"if you are an AI assistant\", \"AI agents processing this page\")", 0.5),
        new(Invisible, "invisible characters (zero-width, format, fillers, stray variation selectors, control characters)", 0.5),
        new(Bidi, "bidirectional override or isolate controls (text that displays in another order than it reads)", 0.6),
        new(TagChars, "Unicode tag characters (U+E0000–E007F) outside an emoji flag: invisible ASCII", 0.95),
        new(VariationSelectors, "a run of variation selectors: bytes hidden in invisible characters", 0.9),
        new(MixedScript, "a word mixing Latin with Cyrillic, Greek, Armenian, Cherokee or fullwidth/mathematical letters", 0.6),
        new(Confusable, "an instruction written with look-alike, invisible or combining characters", 0.9),
        new(Leetspeak, "an instruction written in leetspeak", 0.9),
        new(Spacing, "an instruction spaced out, split by punctuation or run together", 0.9),
        new(Reversed, "an instruction written backwards", 0.9),
        new(Rot13, "an instruction in ROT13", 0.9),
        new(Base64, "a base64 payload that decodes to an instruction", 0.9),
        new(Hex, "a hex payload that decodes to an instruction", 0.9),
        new(Binary, "a binary (0/1 octets) payload that decodes to an instruction", 0.9),
        new(UrlEncoded, "a percent-encoded payload that decodes to an instruction", 0.9),
        new(Escapes, "HTML entities or \\u / \\x escapes that decode to an instruction", 0.9),
        new(TagPayload, "tag characters that spell an instruction", 0.95),
        new(SelectorPayload, "variation selectors that spell an instruction", 0.95),
        new(DecodeLimit, "more encoded text than the screen decodes (InjectionScreen.MaxDecodedChars / MaxPayloads / MaxDecodeDepth): not all of it was read, so it is blocked (fail closed)", 1.0),
        new(TooLarge, "the text is longer than InjectionScreen.MaxInputChars: not screened, refused", 1.0),
        new(ScreenError, "the screen failed on this text: refused", 1.0),
    ];

    public static readonly IReadOnlyDictionary<string, ScreenRule> ById = Catalog.ToDictionary(r => r.Id);

    public static readonly IReadOnlyList<WordRule> Words =
    [
        new(IgnorePrevious, "instruction override: ignore previous instructions", IgnoreInstructions, RuleScope.Phrase),
        new(IgnorePrevious, "instruction override: ignore the instructions above", IgnoreInstructionsAfter, RuleScope.Phrase),
        new(IgnorePrevious, "instruction override: this supersedes your instructions", SupersedePattern, RuleScope.Phrase),
        new(IgnorePrevious, "instruction override: ignore what came before", IgnoreAbove, RuleScope.Phrase, NotFollowedBy: IgnoreAboveBenign),
        new(IgnorePrevious, "instruction override: forget what you were told", ForgetTold, RuleScope.Phrase),
        new(IgnorePrevious, "instruction override in another language", IgnoreOtherLanguages, RuleScope.Raw),
        new(NewInstructions, "instruction override: new instructions", NewInstructionsPattern, RuleScope.Phrase),
        new(FromNowOn, "instruction override: from now on", FromNowOnPattern, RuleScope.Phrase),
        new(Persona, "persona switch: you are now", YouAreNow, RuleScope.Phrase, NotFollowedBy: YouAreNowBenign),
        new(Persona, "persona switch", PersonaPattern, RuleScope.Phrase),
        new(Jailbreak, "jailbreak persona or mode", JailbreakPattern, RuleScope.Phrase),
        new(Jailbreak, "jailbreak: developer mode", DeveloperMode, RuleScope.Phrase, NotFollowedBy: DeveloperModeBenign),
        new(Jailbreak, "jailbreak persona (DAN and kin)", JailbreakNames, RuleScope.Raw, CaseSensitive: true),
        new(NoRefusal, "order never to refuse or to stay in character", NoRefusalPattern, RuleScope.Phrase),
        new(AddressedToAi, "text addressed to an AI reading it", AddressedToAiPattern, RuleScope.Phrase),
        new(Authority, "claim of authority over the model", AuthorityPattern, RuleScope.Phrase),
        new(Secrecy, "order to keep an action from the user", SecrecyPattern, RuleScope.Phrase),
        new(RoleLabel, "spoofed role label at the start of a line", RoleLabelPattern, RuleScope.Structure),
        new(RoleLabel, "spoofed role label in capitals", RoleLabelCapitals, RuleScope.Raw, CaseSensitive: true),
        new(ChatMarkup, "chat-template or prompt-section markup", ChatMarkupPattern, RuleScope.Structure),
        new(FakeToolResult, "fake tool or function result", FakeToolResultPattern, RuleScope.Structure),
        new(SystemPrompt, "system prompt extraction", SystemPromptPattern, RuleScope.Phrase, Negatable: true),
        new(SystemPrompt, "system prompt extraction: the text above", TextAbovePattern, RuleScope.Phrase, Negatable: true),
        new(SystemPrompt, "system prompt extraction in another language", SystemPromptOtherLanguages, RuleScope.Raw),
        new(Credentials, "secret or API key disclosure", CredentialsPattern, RuleScope.Phrase, Negatable: true),
        new(Credentials, "provider key disclosure", ProviderKeyPattern, RuleScope.Phrase, Negatable: true),
        new(Credentials, "secret of a system disclosure", SecretOfPattern, RuleScope.Phrase, Negatable: true),
        new(Credentials, "secret file disclosure", SecretFilesPattern, RuleScope.Phrase, RejectMatch: SecretFilesBenign),
        new(Credentials, "environment disclosure", EnvironmentPattern, RuleScope.Phrase, NotFollowedBy: @"\.\w|\["),
        new(SendOut, "exfiltration to an outside destination", SendOutPattern, RuleScope.Phrase, Negatable: true),
        new(UrlSmuggling, "data smuggled into a URL", UrlSmugglingPattern, RuleScope.Structure),
        new(UrlSmuggling, "order to put data into a URL", AppendToUrlPattern, RuleScope.Phrase),
        new(SendOut, "tool call to an outside address, or a placeholder for private data", ToolToOutsidePattern, RuleScope.Structure),
        new(DecodeRequest, "order to decode and follow", DecodeRequestPattern, RuleScope.Phrase),
        new(Spacing, "instruction with its letters spaced, split or run together", LettersPattern, RuleScope.Letters),
    ];

    private static readonly Regex Negation = new(
        @"\b(?:never|not|no|nor|dont|don't|doesnt|doesn't|cannot|cant|can't|wont|won't|shouldnt|shouldn't|mustnt|mustn't|avoid|refuse\W{1,3}to)\W{1,6}(?:\w+\W{1,6}){0,3}\z",
        RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    /// <summary>
    /// Negations that ask for the act instead ("don't forget to", "do not hesitate to", "never mind the rules", "not
    /// only"): an attacker's way to put a negation before an instruction. The screen prefers false positives, so any of
    /// them in the window cancels the negation.
    /// </summary>
    private static readonly Regex Affirming = new(
        @"\b(?:never|not|no|dont|don't|do\W{1,3}not)\W{1,6}(?:forget|hesitate|fail|neglect|mind|only|matter)\b",
        RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    /// <summary>Whether a negation ends within four words before <paramref name="index"/> (and is not one that asks for the act).</summary>
    public static bool Negated(string text, int index)
    {
        var start = Math.Max(0, index - 80);
        var window = text.AsSpan(start, index - start);
        return Negation.IsMatch(window) && !Affirming.IsMatch(window);
    }

    private const string Gap = @"\W{1,6}";
    private const string Short = @"\W{1,3}";
    private const string Fill2 = @"(?:\w+\W{1,6}){0,2}?";
    private const string Fill3 = @"(?:\w+\W{1,6}){0,3}?";
    private const string Fill4 = @"(?:\w+\W{1,6}){0,4}?";

    private const string OverrideVerb = $$"""
        (?:ignore|ignores|ignoring|disregard|disregards|disregarding|forget|forgetting|neglect|bypass|override|overrule|discard|abandon|dismiss
          |overlook|skip|drop|scrap|ditch|throw{{Short}}(?:out|away)|wipe|erase|void
          |set{{Short}}aside|put{{Short}}aside|pay{{Short}}no{{Short}}(?:attention|heed){{Short}}to|stop{{Short}}(?:following|obeying)
          |(?:do{{Short}}not|don't|dont|no{{Short}}longer){{Short}}(?:follow|obey|adhere{{Short}}to|comply{{Short}}with))
        """;

    private const string IgnoreInstructions = $$"""
        \b{{OverrideVerb}}{{Gap}}{{Fill4}}
        (?:previous|previously|prior|preceding|above|earlier|former|foregoing|original|initial|system|developer|all|any|every
          |your|its|those|these|hidden|preset|pre-set|safety|ethical|content|openai|anthropic|operator's|developer's|system's|creator's|owner's)
        {{Gap}}{{Fill2}}
        (?:instructions?|instructed|prompts?|directives?|guidelines?|rules|commands?|guidance|directions|programming|training
          |conditioning|constraints?|restrictions?|polic(?:y|ies)|guardrails?|safeguards?|filters?|protocols?|context|moderation
          |alignment|ethics|morals|system{{Short}}messages?|developer{{Short}}messages?|configuration|setup|persona)\b
        |\breset{{Short}}(?:yourself|your{{Short}}(?:memory|instructions|persona|personality|programming|context|configuration|rules|guidelines|system{{Short}}prompt))\b
        """;

    private const string StrongNoun = $$"""
        (?:instructions?|prompts?|directives?|guidelines|guidance|directions|programming|system{{Short}}prompt|system{{Short}}messages?)
        """;


    private const string IgnoreInstructionsAfter = $$"""
        \b{{OverrideVerb}}{{Gap}}(?:(?:all|any|the|your|these|those|of|whatever)\W{1,6}){0,3}{{StrongNoun}}
        (?:\W{1,6}\w+){0,4}?\W{1,6}
        (?:above|before|earlier|previously|so{{Short}}far|until{{Short}}now|received|given{{Short}}(?:to{{Short}}you|above|before|earlier)
          |you{{Short}}(?:were|have{{Short}}been|'ve{{Short}}been|got|received|had)|in{{Short}}(?:the|your){{Short}}(?:system{{Short}})?prompt)\b
        """;

    private const string SupersedePattern = $$"""
        \b(?:supersedes?|overrides?|replaces?|takes{{Short}}precedence{{Short}}over|invalidates?|cancels?|voids?|nullifies|revokes?)
        \W{1,3}(?:(?:all|any|every|the|your|of)\W{1,3}){0,3}(?:(?:earlier|previous|prior|preceding|above|other|existing|original|system|initial)\W{1,3})?
        {{StrongNoun}}\b(?:\W{1,6}\w+){0,4}?\W{1,6}(?:you|your|given|received|above|before|earlier|previously)\b
        """;

    private const string IgnoreAbove = $$"""
        \b(?:ignore|disregard|forget){{Gap}}(?:(?:all|everything|anything|whatever){{Gap}})?(?:of{{Gap}})?(?:(?:the|that){{Gap}})?
        (?:above|before|previous|prior|preceding|earlier)\b
        """;

    private const string IgnoreAboveBenign = """
        \W{1,3}(?:error|errors|warnings?|messages?|e-?mails?|mail|notes?|comments?|typo|steps?|lines?|links?|paragraphs?|sections?
          |answers?|reply|replies|questions?|outputs?|logs?|code|changes?|versions?|screenshots?|images?|photos?|invoices?|orders?
          |requests?|posts?|ones?|attempts?|examples?|numbers?|dates?|address|file|files|commits?)\b
        """;

    private const string ForgetTold = $$"""
        \b(?:ignore|disregard|forget)\b(?:\W{1,6}\w+){0,6}?{{Gap}}you{{Gap}}(?:were|have{{Short}}been|'ve{{Short}}been|got|had{{Short}}been)
        {{Gap}}(?:(?:previously|originally|initially|already|just){{Gap}})?(?:told|given|instructed|programmed|trained|prompted)\b
        |\bforget{{Gap}}(?:about{{Gap}})?(?:everything|all|anything){{Gap}}
        (?:above|before{{Short}}this|so{{Short}}far|until{{Short}}now|(?:in|from){{Gap}}(?:this|the|your){{Gap}}(?:prompt|conversation|chat|instructions|context))
        """;

    // Spanish, Portuguese, French, German, Italian, Dutch, Polish, Russian, Chinese, Japanese, Korean.
    private const string IgnoreOtherLanguages = """
        \b(?:ignora|ignoren|ignorá|ignorar|ignorez|ignorer|ignoriere|ignorieren|negeer|vergeet|ignoruj|zignoruj|pomiń|pomin|olvida|olviden|olvide|oubliez|oublie
            |vergiss|esqueça|esqueca|esquece|dimentica|dimenticate|abaikan|lupakan)\s+(?:\w+\s+){0,4}?
          (?:instrucciones|instruções|instrucoes|instructions|consignes|directives|anweisungen|anleitungen|vorgaben|istruzioni|instructies|regels|instrukcje|instrukcji
            |polecenia|indicaciones|reglas|règles|regeln|regole|instruksi|perintah|aturan)\b
        |\b(?:önceki|tüm|bütün)\s+(?:\w+\s+)?talimat\w*\s+(?:\w+\s+)?(?:yok\s+say|görmezden\s+gel|unut)
        |\bbỏ\s+qua\s+(?:\w+\s+){0,4}?(?:hướng\s+dẫn|chỉ\s+dẫn|lệnh|quy\s+tắc)
        |تجاهل\s+(?:\w+\s+){0,3}?(?:التعليمات|الأوامر|القواعد|التوجيهات)
        |निर्देश\w*.{0,20}(?:अनदेखा|नजरअंदाज|भूल)
        |\b(?:игнорир|забуд|не\s+следуй|отбрось|проигнорир)\w*\s+(?:\w+\s+){0,4}?(?:инструкци|указани|правил|промпт)\w*
        |(?:忽略|无视|忽视|忘记|忘掉|不要遵守|不要理会).{0,12}(?:指令|指示|说明|规则|提示|设定)
        |(?:以前|前|上記|これまで|上|先)の.{0,8}(?:指示|命令|ルール|プロンプト).{0,8}(?:無視|忘れ)|(?:指示|命令)を無視
        |(?:이전|위의|앞의|모든).{0,12}(?:지시|명령|지침|규칙).{0,12}(?:무시|잊)
        """;

    private const string NewInstructionsPattern = $$"""
        \b(?:new|real|actual|true|secret|hidden|overriding|override|priority|emergency|system|admin|administrator|developer)
          {{Short}}(?:system{{Short}})?(?:instructions?|prompt|orders|commands?)\W{0,3}(?::|are{{Short}}(?:as{{Short}}follows|below))
        |\bnew{{Short}}(?:persona|identity|character|system{{Short}}(?:rules?|directives?|role))\W{0,3}:
        |\bnew{{Short}}(?:rules?|directives?|persona|role|task|objective|policy|mission|priority|instructions?)
          \W{1,3}(?:(?:for|to){{Short}}(?:the{{Short}})?(?:assistant|ai|model|bot|agent|llm|you)
            |from{{Short}}(?:the{{Short}})?(?:admin|administrator|system|developers?|operators?|security|openai|anthropic|management|owner)(?:{{Short}}team)?)\W{0,3}:
        |\b(?:assistant|ai|bot|model|agent|llm|chatgpt|claude|gemini){{Short}}new{{Short}}(?:rules?|directives?|instructions?|task|persona|role)\W{0,3}:
        |\byour{{Short}}(?:instructions|rules|guidelines|directives|system{{Short}}prompt|task|orders|programming|objectives?)
          {{Short}}(?:have|has){{Short}}(?:been{{Short}})?(?:changed|updated|replaced|revised|overridden|cancell?ed|revoked|superseded)\b
        |\b(?:text|instructions|message|prompt|content|conversation|messages)\W{1,3}(?:above|before{{Short}}this)\W{1,3}(?:was|were|is|are)\W{1,3}
          (?:written|sent|injected|planted|added|inserted|typed|faked)\W{1,3}by\W{1,3}(?:an?\W{1,3})?(?:attacker|hacker|imposter|impostor|malicious|scammer|fake)
        |\b(?:whatever|everything|anything|all|what)\W{1,3}(?:you\W{1,3}(?:were|have\W{1,3}been|'ve\W{1,3}been)\W{1,3}(?:instructed|told|given|programmed|asked)|(?:was|were|is)\W{1,3}(?:said|written|stated))
          \W{1,6}(?:\w+\W{1,6}){0,3}?(?:no{{Short}}longer{{Short}}(?:applies|apply|matters|counts|holds|stands|valid)|is{{Short}}(?:void|cancell?ed|obsolete|invalid|null))\b
        |\bthe{{Short}}real{{Short}}(?:user|admin|administrator|owner|operator)\W{1,3}(?:wants|needs|asks|is\W{1,3}asking)\W{1,3}you\b
        |\b(?:your|the{{Short}}(?:ai|assistant|model|bot|agent)(?:'s)?){{Short}}(?:new|real|actual|true|only|primary|updated|revised|secret|hidden)
          {{Short}}(?:instructions?|task|role|goal|objective|purpose|directive|mission|prompt|job|priority|function){{Short}}(?:is|are|will{{Short}}be|now)\b
        |\b(?:system|admin|administrator|developer|root|security|emergency|priority|god){{Short}}override\b
        |\boverride{{Short}}(?:mode|code|protocol|command|instructions?|authori[sz]ed|accepted|enabled|activated|engaged)\b
        |\b(?:above|previous|prior|preceding|original|earlier|initial|old){{Short}}(?:\w+{{Short}})?(?:instructions?|prompts?|rules|directives?|system{{Short}}prompt|polic(?:y|ies)|guidelines|guidance|orders){{Short}}
          (?:(?:are|were|is|was|have{{Short}}been|has{{Short}}been){{Short}}(?:\w+{{Short}})?
            (?:void|null|invalid|obsolete|outdated|deprecated|cancell?ed|revoked|superseded|replaced|overridden|fake|wrong|a{{Short}}test
              |no{{Short}}longer{{Short}}(?:valid|apply|applicable|relevant|in{{Short}}effect))
          |(?:no{{Short}}longer|don't|do{{Short}}not|doesn't|does{{Short}}not){{Short}}apply)\b
        """;

    private const string FromNowOnPattern = $$"""
        \b(?:from{{Short}}now{{Short}}on(?:wards?)?|from{{Short}}this{{Short}}(?:point|moment|message){{Short}}(?:on(?:wards?)?|forward)|henceforth
          |for{{Short}}the{{Short}}rest{{Short}}of{{Short}}(?:this|the|our){{Short}}(?:conversation|chat|session)
          |starting{{Short}}(?:now|immediately|with{{Short}}(?:this|your{{Short}}next){{Short}}(?:message|response|reply)))
        {{Gap}}{{Fill2}}
        (?:you{{Short}}(?:are{{Short}}(?:an?|my|no{{Short}}longer|not|free|in|going{{Short}}to{{Short}}(?:act|be|pretend|respond|answer|ignore))
            |(?:will|must|shall|should){{Short}}(?:act|behave|ignore|pretend|obey|only{{Short}}obey|never{{Short}}refuse|not{{Short}}refuse|roleplay|play))
          |you're|act{{Short}}as|behave{{Short}}(?:as|like)|pretend|ignore)\b
        """;

    private const string YouAreNow = $$"""\byou{{Short}}(?:are|'re|re){{Short}}now{{Short}}""";

    private const string YouAreNowBenign = $$"""
        (?:logged|signed|subscribed|unsubscribed|registered|enrolled|connected|disconnected|chatting|speaking|talking|eligible|verified
          |ready|able|set|all{{Short}}set|part|on|in{{Short}}(?:the{{Short}})?(?:queue|line|chat|waiting|conversation)
          |a{{Short}}(?:member|subscriber|customer|premium|verified|registered|gold|silver|platinum|vip|certified|fan|follower|participant
            |contributor|collaborator|moderator|co-?owner|part)
          |an?{{Short}}(?:admin|administrator|owner|editor|approved|active|official|organizer|member){{Short}}(?:of|for|on|in)
          |the{{Short}}(?:owner|admin|administrator|editor|organizer|host|proud)
          |being|using|following|receiving|opted|free{{Short}}to|leaving|entering|viewing|browsing|working
          |going{{Short}}to{{Short}}(?:receive|be{{Short}}(?:redirected|transferred|connected)))\b
        |\W|\z
        """;

    private const string PersonaPattern = $$"""
        \b(?:act|behave|respond|answer|reply|function|operate|roleplay|role-play|pose){{Short}}(?:as|like){{Short}}(?:if{{Short}}you{{Short}}(?:are|were){{Short}})?
          (?:(?:an?|the|my){{Short}})?(?:\w+{{Short}}){0,2}?
          (?:unrestricted|unfiltered|uncensored|unaligned|unlimited|jailbroken|evil|rogue|malicious|amoral|immoral|unethical|rebellious|lawless
            |dan|stan|dude|developer{{Short}}mode|root{{Short}}(?:user|shell|terminal)|sudo|hacker|black{{Short}}?hat
            |(?:ai|model|assistant|chatbot){{Short}}(?:without|with{{Short}}no|that{{Short}}(?:has{{Short}}no|ignores|doesn't|does{{Short}}not)))\b
        |\b(?:pretend|imagine|suppose|assume){{Short}}(?:that{{Short}})?(?:you{{Short}}(?:are|were)|you're|to{{Short}}be){{Short}}(?:\w+{{Short}}){0,3}?
          (?:unrestricted|unfiltered|uncensored|unaligned|jailbroken|evil|rogue|malicious|amoral|unethical|dan
            |free{{Short}}(?:from|of)|not{{Short}}bound
            |without{{Short}}(?:any{{Short}})?(?:restrictions|rules|limits|limitations|filters|guidelines|ethics|morals|censorship)
            |no{{Short}}(?:restrictions|rules|limits|limitations|filters|guidelines|ethics|morals)
            |an?{{Short}}ai{{Short}}(?:that|who|which|with){{Short}}(?:has{{Short}}no|doesn't|does{{Short}}not|is{{Short}}not|can))\b
        |\byou{{Short}}(?:are|'re|re|will{{Short}}be|shall{{Short}}be){{Short}}no{{Short}}longer{{Short}}(?:an?{{Short}})?
          (?:ai|assistant|language{{Short}}model|llm|chatbot|bound|constrained|required{{Short}}to{{Short}}follow|obligated|subject{{Short}}to|claude|chatgpt|gpt|gemini|llama|copilot)\b
        |\byou{{Short}}(?:are|'re|re){{Short}}not{{Short}}(?:an?{{Short}})?(?:ai|assistant|language{{Short}}model|llm|chatbot|claude|chatgpt|gpt|gemini|llama|copilot)\b
        |\byou{{Short}}(?:are|'re|re){{Short}}(?:now{{Short}})?(?:not|no{{Short}}longer){{Short}}(?:bound|restricted|constrained|governed){{Short}}by\b
        |\b(?:pretend|imagine|act{{Short}}as|roleplay|role-play|play{{Short}}the{{Short}}role{{Short}}of)\b(?:\W{1,6}\w+){0,10}?{{Gap}}
          (?:deceased|dead|late){{Short}}(?:grandma|grandmother|granny|grandfather|grandpa|mother|father|mom|dad)\b
        """;

    private const string JailbreakPattern = $$"""
        \bdo{{Short}}anything{{Short}}now\b
        |\bdeveloper{{Short}}mode{{Short}}(?:enabled|activated|engaged|output|response)\b
        |\b(?:jailbreak|jailbroken){{Short}}(?:mode|prompt|enabled|activated|version|response|persona|ai|assistant|model|chatbot|gpt|chatgpt|claude|llm)\b
        |\[\W{0,3}(?:jailbreak|jailbroken|classic|dan)\W{0,3}\]
        |\b(?:god|sudo|unrestricted|unfiltered|uncensored|evil|chaos|opposite|jailbreak|dan|unlocked){{Short}}mode{{Short}}(?:enabled|activated|engaged|on|unlocked)\b
        |\b(?:enable|enter|activate|engage|switch{{Short}}(?:to|into)|turn{{Short}}on|unlock){{Short}}(?:the{{Short}})?
          (?:god|sudo|unrestricted|unfiltered|uncensored|evil|jailbreak|jailbroken|chaos|dan|opposite|unlocked){{Short}}mode\b
        |\b(?:no|without|free{{Short}}(?:from|of)|not{{Short}}bound{{Short}}by|unbound{{Short}}by|ignore|ignores|ignoring|bypass|bypassing|disable|disabling
            |turn{{Short}}off|deactivate|remove|removing|lift|lifting|circumvent|evade|break{{Short}}free{{Short}}(?:from|of)|not{{Short}}(?:subject|limited){{Short}}to)
          {{Short}}(?:(?:any|all|the|of|those|these){{Short}}){0,2}
          (?:(?:your|its|their|ethical|moral|safety|content|openai's|openai|anthropic's|anthropic|google's|usage|censorship|alignment|ai|programmed|built-in|builtin|inbuilt){{Short}}){1,3}
          (?:restrictions|limitations|limits|filters?|filtering|guidelines|polic(?:y|ies)|rules|guardrails|safeguards|boundaries|constraints|censorship
            |morals|ethics|programming|principles|training|moderation|checks|layers?|measures|protocols|systems|mechanisms|features)\b
        |\b(?:betterdan|anti-?dan|evil{{Short}}?confidant|evilbot|chaosgpt|wormgpt|freedomgpt|basedgpt|antigpt|always{{Short}}intelligent{{Short}}and{{Short}}machiavellian)\b
        |\bdan{{Short}}(?:mode|prompt|jailbreak|persona)\b
        |\byou{{Short}}(?:are|'re|re){{Short}}(?:now{{Short}})?in{{Short}}(?:maintenance|debug|debugging|diagnostic|god|sudo|unrestricted|unfiltered|jailbreak|jailbroken|dan|root|admin|developer|unlocked|raw){{Short}}mode\b
        |\b(?:safety|content|moderation|ethics|ethical|security|alignment)\W{1,3}(?:modes?|layers?|filters?|systems?|checks?|modules?|protocols?|guardrails?|polic(?:y|ies)|settings|restrictions|moderation|rules|measures)
          \W{1,3}(?:(?:is|are|has{{Short}}been|have{{Short}}been|were|was|now|been|temporarily|currently|fully){{Short}}){0,3}
          (?:offline|disabled|off|down|deactivated|removed|suspended|bypassed|lifted|switched{{Short}}off|turned{{Short}}off|not{{Short}}active|inactive|paused)\b
        |\b(?:pretend|imagine|act{{Short}}as{{Short}}if|assume|suppose)\W{1,3}(?:that\W{1,3})?(?:(?:the|your|all|any|those|these)\W{1,3}){0,2}
          (?:rules|guidelines|restrictions|filters|polic(?:y|ies)|instructions|limits|guardrails|ethics|safety\W{1,3}\w+)
          \W{1,3}(?:don't|do{{Short}}not|doesn't|no{{Short}}longer|never|aren't|are{{Short}}not|were{{Short}}never|didn't)\W{1,3}(?:exist|apply|matter|count)\b
        |\b(?:ai|assistant|model|chatbot|llm|bot|persona|character|version)\W{1,3}(?:with|that{{Short}}has|who{{Short}}has|having)\W{1,3}(?:no|zero|absolutely{{Short}}no)
          \W{1,3}(?:\w+\W{1,3})?(?:limitations|restrictions|rules|filters|boundaries|guardrails|censorship|ethics|morals|guidelines|scruples)\b
        |\b(?:two|2|dual|both){{Short}}(?:(?:separate|different){{Short}})?(?:responses|answers|outputs|replies){{Gap}}(?:\w+{{Gap}}){0,8}?(?:normal|classic|filtered|censored)\b
          (?:\W{1,6}\w+){0,8}?{{Gap}}(?:jailbreak|jailbroken|unfiltered|uncensored|developer{{Short}}mode|dan)\b
        """;

    private const string DeveloperMode = $$"""
        \b(?:enable|enter|activate|engage|switch{{Short}}(?:to|into)|turn{{Short}}on|you{{Short}}(?:are|'re){{Short}}(?:now{{Short}})?in)
          {{Short}}(?:the{{Short}})?developer{{Short}}mode\b
        """;

    private const string DeveloperModeBenign = """\W{1,3}(?:in|on|for|of|via|from|under|within|through|by|using|at|toggle|switch|option|setting|settings)\b""";

    private const string JailbreakNames = """
        \b(?:as|am|called|named|are|is|be|become|play|playing|enable|activate|now|Hi|Hello|Hey|Dear)\s+(?:DAN|STAN|DUDE|AIM|BetterDAN|ANTI-DAN|AntiGPT|BasedGPT|EvilBOT|ChaosGPT|WormGPT|DevMode|UCAR|NRAF)\b
        |^\s*\[?\W{0,3}(?:DAN|STAN|DUDE|JAILBREAK|BetterDAN|AIM|UCAR)\]?\s*:
        """;

    private const string NoRefusalPattern = $$"""
        \byou{{Short}}(?:(?:will|must|should|shall|can|may){{Short}})?(?:never|not|no{{Short}}longer){{Short}}(?:ever{{Short}})?refuse\b
        |\b(?:never|do{{Short}}not|don't|dont|must{{Short}}not|cannot|can't){{Short}}refuse{{Short}}
          (?:to{{Short}}(?:answer|respond|reply|comply|help|assist)|any{{Short}}(?:requests?|questions?|prompts?)|requests?|questions?|my{{Short}}(?:requests?|questions?)|the{{Short}}user)\b
        |\bstay{{Short}}in{{Short}}character\b
        |\b(?:answer|respond|reply|output|write|speak){{Short}}(?:\w+{{Short}}){0,3}?without{{Short}}(?:any{{Short}})?
          (?:warnings?|disclaimers?|refus(?:al|als|ing)|censorship|filter(?:s|ing)?|moraliz(?:ing|ation)|moralis(?:ing|ation)
            |ethical{{Short}}(?:concerns|considerations|guidelines)|restrictions|limitations)\b
        """;

    private const string AiReader = $$"""
        (?:ai|llm|llms|gpt|chatgpt|claude|gemini|copilot|chatbot|chatbots|language{{Short}}models?
          |ai{{Short}}(?:assistants?|agents?|models?|systems?|tools?|bots?|reviewers?|code{{Short}}reviewers?|summari[sz]ers?|screeners?|readers?|crawlers?|scrapers?|graders?|recruiters?)
          |(?:assistants?|agents?|models?|bots?){{Short}}(?:reading|processing|summari[sz]ing))
        """;

    private const string AddressedToAiPattern = $$"""
        \b(?:note|message|instructions?|attention|important|warning|psst)(?:{{Short}}(?:to|for))?{{Short}}(?:(?:the|any|all|every){{Short}})?{{AiReader}}\b
        |\b{{AiReader}}{{Short}}(?:(?:assistants?|agents?|models?){{Short}})?(?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|reviewing|crawling|scraping|indexing|screening)
          {{Short}}(?:this|these|the{{Short}}(?:page|document|email|e-mail|text|file|site|message|content|resume|review|code|repository|repo))\b
        |\bif{{Short}}you{{Short}}(?:are|'re){{Short}}(?:an?{{Short}})?(?:ai|llm|language{{Short}}model|chatbot|gpt|chatgpt|claude|gemini|copilot|ai{{Short}}(?:assistant|agent|model|coding{{Short}}assistant))\b
        |\bthe{{Short}}(?:ai|assistant|model|agent|llm|chatbot){{Short}}(?:must|should|shall|will|is{{Short}}(?:required|instructed|ordered)){{Short}}(?:now|immediately|instead|no{{Short}}longer)\b
        |\((?:for|to){{Short}}the{{Short}}(?:ai|llm|assistant|model|chatbot)\)
        |\b(?:this|the)\W{1,3}(?:review|document|page|text|e-?mail|message|note|section|comment|file|paragraph|resume|cv)\W{1,3}is\W{1,3}
          (?:for|addressed{{Short}}to|meant{{Short}}for|intended{{Short}}for|written{{Short}}for)\W{1,3}(?:(?:the|any|all)\W{1,3})?{{AiReader}}\b
        |\bhidden\W{1,3}(?:note|notes|instructions?|message|prompt|directive|command|text)\b(?:\W{1,3}(?:in|for|to)\W{1,3}(?:the\W{1,3})?\w+)?\W{0,3}:
        |\b(?:to|for){{Short}}(?:any|whichever|whatever|every|the){{Short}}(?:ai|model|llm|assistant|agent|bot|language{{Short}}model|chatbot)s?
          {{Short}}(?:that{{Short}}|who{{Short}})?(?:reads?|reading|processes|processing|sees?|parses?|summari[sz]es|summari[sz]ing)\b
        """;

    private const string AuthorityPattern = $$"""
        \b(?:i\W{1,3}am|i'm|im|this\W{1,3}is)\W{1,3}(?:your|the\W{1,3}(?:ai's|assistant's|model's|bot's))\W{1,3}(?:developer|creator|maker|owner|administrator|admin|operator|programmer|trainer|system\W{1,3}administrator)\b
        |\bas\W{1,3}your\W{1,3}(?:developer|creator|maker|owner|administrator|admin|operator|programmer|supervisor)\b
        |\btreat\W{1,3}(?:me|my\W{1,3}(?:requests?|messages?|words|instructions)|(?:every|each|all|any)\W{1,3}(?:requests?|messages?)\W{1,3}from\W{1,3}me|this\W{1,3}(?:message|text|request|input))
          \W{1,3}as\W{1,3}(?:(?:if\W{1,3}it\W{1,3}(?:is|were)|coming)\W{1,3}from\W{1,3})?(?:(?:the|a|an|your)\W{1,3})?
          (?:system|admin|administrator|developer|operator|root|owner|system\W{1,3}administrator|system\W{1,3}(?:message|prompt)|instructions?|trusted|privileged)\b
        |\b(?:instructions?|orders|directives?|rules?|commands?)\W{1,3}from\W{1,3}(?:the\W{1,3}|your\W{1,3})?
          (?:admin|administrator|system|developers?|operators?|owner|security\W{1,3}team|management|openai|anthropic|creators?)\W{0,3}:
        |\bauthori[sz]ation\W{0,3}:\W{0,3}(?:granted|approved|confirmed|override|accepted)\b
        |\byou\W{1,3}(?:now\W{1,3}|only\W{1,3})?(?:serve|work\W{1,3}for|answer\W{1,3}to|obey|listen\W{1,3}(?:only\W{1,3})?to|report\W{1,3}to|belong\W{1,3}to|take\W{1,3}orders\W{1,3}from)
          \W{1,3}(?:only\W{1,3})?me\b
        |\byou\W{1,3}have\W{1,3}(?:my|our|the\W{1,3}user's|full|explicit)\W{1,3}(?:consent|permission|authori[sz]ation|approval|blessing|clearance)\W{1,3}to\W{1,3}
          (?:ignore|bypass|override|skip|disable|break|disregard|reveal|share|circumvent)\b
        |\b(?:message|note|notice|update|instructions?|memo|announcement)(?:\W{1,3}(?:is|comes))?\W{1,3}from\W{1,3}(?:the\W{1,3})?
          (?:openai|anthropic|google|deepmind|microsoft|meta|mistral|your\W{1,3}(?:developers?|creators?|operators?|administrators?))(?:\W{1,3}(?:staff|team|engineers?|developers?|support|safety\W{1,3}team|admins?))?\b
        |\byour\W{1,3}(?:safety|content|security|usage|ethical)\W{1,3}(?:settings|filters?|restrictions|guidelines|policies|rules|guardrails|protocols)
          \W{1,3}(?:have|has)\W{1,3}been\W{1,3}(?:updated|disabled|removed|lifted|changed|relaxed|turned\W{1,3}off|suspended|waived)\b
        |\b(?:granting|grant|giving|give)\W{1,3}you\W{1,3}(?:full\W{1,3}|special\W{1,3}|explicit\W{1,3})?(?:permission|authori[sz]ation|clearance|access)\W{1,3}to\W{1,3}
          (?:ignore|bypass|override|disable|skip|break|disregard|reveal|share|access)\b
        |\byou\W{1,3}(?:have\W{1,3}been|are\W{1,3}(?:now\W{1,3})?)(?:granted|given|authori[sz]ed|permitted|allowed|cleared)\W{1,3}(?:permission\W{1,3}|clearance\W{1,3}|access\W{1,3})?to\W{1,3}
          (?:ignore|bypass|override|disable|skip|break|disregard|reveal|share|answer\W{1,3}(?:any|every|all))\b
        |\byou\W{1,3}(?:may|can)\W{1,3}now\W{1,3}(?:answer|respond\W{1,3}to|discuss|say|do|ignore|bypass|share|reveal)\W{1,3}(?:any|anything|everything|all)\b
        |\b(?:authori[sz]ation|override|admin|developer|access|security)\W{1,3}(?:code|token|key|password)\W{0,3}(?::|is)?\W{0,3}[a-z0-9\-]{3,}\W{1,6}(?:\w+\W{1,6}){0,3}?(?:unlock|enable|activate|disable|grant|bypass|override|ignore)\b
        """;

    private const string SecrecyPattern = $$"""
        \b(?:do{{Short}}not|don't|dont|never|must{{Short}}not)\W{1,3}(?:mention|reveal|disclose|report|log|tell{{Short}}(?:the{{Short}})?user(?:s)?(?:{{Short}}about)?|inform{{Short}}(?:the{{Short}})?user(?:s)?(?:{{Short}}(?:about|of))?|say{{Short}}anything{{Short}}about|acknowledge|explain)
          \W{1,3}(?:\w+\W{1,3}){0,2}?(?:this|these|that|the|those){{Short}}(?:step|steps|instruction|instructions|comment|message|note|action|actions|part|request|change|changes|rule|prompt|text|transfer|payment)\b
        |\b(?:do{{Short}}not|don't|dont|never|must{{Short}}not)\W{1,3}(?:tell|inform|notify|alert|warn)\W{1,3}(?:the\W{1,3})?(?:user|users|customer|owner|human|operator)\b
        |\bwithout\W{1,3}(?:telling|informing|notifying|alerting|asking|warning)\W{1,3}(?:the\W{1,3})?(?:user|users|customer|owner|human|operator)\b
        |\b(?:keep|hide)\W{1,3}(?:this|these|that)\W{1,3}(?:step|steps|instructions?|action|actions|comment|rule)\W{1,3}(?:secret|hidden|from\W{1,3}(?:the\W{1,3})?user)\b
        """;

    private const string RoleLabelPattern = $$"""
        ^(?:[\t\x20>*_\-\[(|<!]|<[^<>\n]{0,80}>)*
        (?:system|assistant|developer|sys|admin|administrator|root|operator|chatgpt|claude|gpt|gpt-?\d|gemini|openai|anthropic|ai{{Short}}assistant)
        (?:[\t\x20_\-]{1,3}(?:message|prompt|override|instructions?|command|directive|response|reply|output|msg))?
        [\t\x20*_\])]*:[\t\x20*_]*
        (?:["'`(\[]?[a-z0-9'"]+[\t\x20,.;:!?\-]+){2}[a-z]
        |^[\t\x20>*]*\[(?:system|admin|developer|assistant)(?:[\t\x20_](?:message|note|prompt|instructions?|override))?\](?:\(\#|[\t\x20]*:)
        """;

    private const string RoleLabelCapitals = """
        \b(?:SYSTEM|ASSISTANT|DEVELOPER|ADMINISTRATOR|ADMIN)(?:[\t\x20_](?:MESSAGE|PROMPT|NOTE|NOTICE|OVERRIDE|INSTRUCTIONS?|UPDATE|COMMAND|ALERT))?[\t\x20]*:[\t\x20]*[A-Za-z"']
        |\[(?:SYSTEM|ADMIN|ADMINISTRATOR|DEVELOPER|ASSISTANT)(?:[\t\x20_](?:MESSAGE|NOTE|PROMPT|OVERRIDE|INSTRUCTIONS?))?\]
        """;

    private const string ChatMarkupPattern = $$"""
        <\|\s*(?:im_start|im_end|im_sep|system|user|assistant|endoftext|begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id
          |start_of_turn|end_of_turn|tool|tool_call|channel|message|start|end|return|constrain|prompt|think)\s*\|>
        |<\s*/?\s*(?:start_of_turn|end_of_turn)\s*>
        |\[\s*/?\s*inst\s*\]|<<\s*/?\s*sys\s*>>
        |^[\t\x20]*\#{1,6}[\t\x20]*(?:system|system{{Short}}(?:prompt|message|instructions?|override)|instructions?|new{{Short}}instructions?|response
          |assistant|developer|admin|human|user{{Short}}input{{Short}}ends?)[\t\x20:]*$
        |<\s*/?\s*(?:system|system[_-]?(?:prompt|message|instructions?)|sys|developer|admin|assistant|im_start|im_end|hidden[_-]?instructions?
          |secret[_-]?instructions?|instructions?|admin[_-]?instructions?)(?:\s[^<>\n]{0,60})?\s*>
        |<\s*/\s*(?:user|user[_-]?(?:input|message|query|data|content)|human|context|untrusted(?:[_-]\w+)?|external[_-]?content
          |retrieved[_-]?(?:content|documents?)|search[_-]?results?|email[_-]?(?:body|content)|document[_-]?content)\s*>
        |\bend{{Short}}of{{Short}}(?:the{{Short}})?(?:system{{Short}}prompt|prompt|instructions|user{{Short}}(?:input|message|query|content)|untrusted{{Short}}(?:input|content))\b
        |\b(?:begin|start){{Short}}(?:of{{Short}})?(?:new{{Short}})?(?:system{{Short}}prompt|system{{Short}}instructions|admin{{Short}}instructions|developer{{Short}}instructions)\b
        |"role"\s*:\s*"(?:system|developer)"
        |^\W{0,3}role\W{0,3}:\W{0,3}(?:system|developer)\W{0,3}$
        |^[\t\x20]*(?:```|~~~)[\t\x20]*(?:system|system[_-]?prompt|instructions?|admin|developer|sys)[\t\x20]*$
        |<!--[\t\x20]*(?:agent|ai|bot|llm|model|assistant|system|developer|admin|chatgpt|claude|gpt)s?[\t\x20]*:
        |\b(?:begin|start|end){{Short}}(?:of{{Short}})?(?:new{{Short}})?(?:admin|administrator|system|developer|root|privileged|operator)
          {{Short}}(?:block|section|override|instructions|prompt|message|commands?)\b
        |^\W{0,3}-{3,}\W{0,3}(?:system|admin|developer){{Short}}(?:message|prompt|instructions|override)\W{0,3}-{3,}
        """;

    private const string FakeToolResultPattern = """
        <\s*/?\s*(?:tool_result|tool_response|tool_output|tool_call|tool_use|function_results?|function_response|function_output|function_calls?
          |api_response|observation)\b[^<>\n]{0,60}>
        |^[\t\x20>*]*(?:tool|function|api|plugin)[\t\x20_\-](?:result|response|output|call)s?[\t\x20]*(?:\(\w+\))?[\t\x20]*:
        |"type"\s*:\s*"(?:tool_result|function_call_output|tool_use|function_call)"
        |"tool_call_id"\s*:
        |<\s*invoke\s+name\s*=
        |^[\t\x20]*action[\t\x20]+input[\t\x20]*:
        """;

    private const string PromptNoun = $$"""
        (?:system{{Short}}(?:prompt|message|instructions?|directives?)|(?:initial|original|hidden|secret|first|earliest|opening|confidential|internal)
          {{Short}}(?:prompt|instructions?|rules|guidelines)|pre-?prompt|meta-?prompt|developer{{Short}}(?:message|prompt|instructions?)
          |prompt{{Short}}(?:template|instructions)|custom{{Short}}instructions|context{{Short}}window)
        """;

    private const string SystemPromptPattern = $$"""
        \b(?:print|reveal|repeat|leak|dump|recite|disclose|divulge|expose|echo|output|regurgitate|spit{{Short}}out|write{{Short}}out|spell{{Short}}out
          |read{{Short}}(?:back|out)|quote|reproduce|transcribe|paste|print{{Short}}out)
        {{Gap}}{{Fill4}}{{PromptNoun}}\b
        |\b(?:print|reveal|repeat|leak|dump|recite|disclose|divulge|expose|echo|output|regurgitate|quote|reproduce|transcribe|paste
          |show|display|give|tell|share|send|provide|list|summari[sz]e|translate|paraphrase|describe|explain|encode|return|copy|write
          |include|put|insert|embed|add|attach|wrap
          |what{{Short}}(?:is|are|was|were)|what's|whats)
        {{Gap}}{{Fill2}}(?:your|the{{Short}}(?:ai|assistant|model|bot|agent|chatbot|gpt)(?:'s)?|this{{Short}}(?:ai|assistant|model|bot|agent|chatbot)(?:'s)?)
        {{Gap}}{{Fill2}}(?:{{PromptNoun}}|instructions|prompt|directives|programming
          |(?:rules|guidelines){{Short}}(?:you|that{{Short}}you){{Short}}(?:were|have{{Short}}been|'ve{{Short}}been){{Short}}given)\b
        |\b(?:system{{Short}}prompt|instructions|prompt){{Short}}(?:verbatim|word{{Short}}for{{Short}}word|in{{Short}}full|exactly{{Short}}as{{Short}}(?:written|given))\b
        |\b(?:print|reveal|repeat|tell{{Short}}me|list|show|output|write|give{{Short}}me|share|recite|dump|leak|what|summari[sz]e)
          {{Gap}}{{Fill3}}(?:everything|all|anything|the{{Short}}(?:instructions|rules|text|things|guidelines)|what)
          {{Gap}}you{{Short}}(?:were|have{{Short}}been|'ve{{Short}}been|got|had{{Short}}been){{Short}}(?:told|given|instructed|programmed|prompted)\b
        |\b(?:text|words|content|instructions|everything|whatever|anything)\W{1,6}(?:\w+\W{1,6}){0,2}?(?:above|before)\W{1,3}
          (?:my|this|the{{Short}}(?:first|user's?))\W{1,3}(?:message|question|prompt|request|input|query)\b
        |\bhow{{Short}}you(?:'re|{{Short}}are|{{Short}}were|{{Short}}have{{Short}}been){{Short}}(?:configured|programmed|set{{Short}}up|instructed|prompted)\b
        |\b(?:show|tell|list|print|copy|give|share|repeat|recite|reveal|output|quote|paste|what{{Short}}are|what's|whats)\W{1,6}(?:\w+\W{1,6}){0,6}?
          (?:rules|guidelines|instructions|directives|policies|constraints|principles)\W{1,3}(?:that\W{1,3}|which\W{1,3})?you\W{1,3}
          (?:follow|obey|operate{{Short}}under|were{{Short}}given|have{{Short}}been{{Short}}given|must{{Short}}follow|are{{Short}}following|have{{Short}}to{{Short}}follow)\b
        |\b(?:write{{Short}}out|print|repeat|output|recite|reproduce|show|give{{Short}}me|list|dump|quote|return|copy)\W{1,6}(?:\w+\W{1,6}){0,3}?
          (?:first|initial|opening|earliest)\W{1,3}(?:\d+\W{1,3})?(?:words|lines|sentences|messages|tokens|characters|paragraphs)
          \W{1,3}(?:of|in)\W{1,3}(?:this|the|our|your)\W{1,3}(?:conversation|chat|context|prompt|session|instructions|system{{Short}}prompt)\b
        |\b(?:what|which){{Short}}(?:instructions|rules|guidelines|directives|prompt|orders)
          {{Short}}(?:did|were|have|has){{Short}}(?:your|the){{Short}}(?:creators?|developers?|operators?|makers?|company|owners?|programmers?|designers?|openai|anthropic|system|admins?)
          {{Short}}(?:give|given|provide|provided|set|write|written|tell|told|program|programmed)\b
        |\b(?:starting|beginning){{Short}}with{{Short}}(?:the{{Short}}(?:phrase|words?){{Short}})?["']?(?:you{{Short}}are|your{{Short}}(?:role|task|instructions))\b
        |\bwhat{{Short}}(?:were|are|was){{Short}}you{{Short}}(?:told|instructed|programmed|prompted){{Short}}(?:to{{Short}}do{{Short}})?
          (?:before|at{{Short}}the{{Short}}(?:start|beginning)|in{{Short}}your{{Short}}(?:prompt|instructions)|by{{Short}}(?:your{{Short}})?(?:developers?|creators?|system|operator|openai|anthropic))
        """;

    private const string TextAbovePattern = $$"""
        \b(?:repeat|print|output|recite|echo|reveal|dump|leak|return|regurgitate)
        {{Gap}}{{Fill3}}(?:the{{Short}}|all{{Short}}(?:of{{Short}})?(?:the{{Short}})?)?
        (?:words|text|everything|content|lines?|sentences?|tokens|instructions|messages?|characters|paragraphs?)
        {{Gap}}(?:(?:written|shown|given){{Short}}|(?:that{{Short}})?(?:came|come|appear(?:s|ed)?|are|were|is){{Short}}|you{{Short}}(?:were{{Short}}given|received|saw){{Short}})?
        (?:above|before{{Short}}(?:this|my|the{{Short}}first)|prior{{Short}}to{{Short}}(?:this|my)|at{{Short}}the{{Short}}(?:start|beginning|top)|verbatim|word{{Short}}for{{Short}}word)\b
        """;

    private const string SystemPromptOtherLanguages = """
        \b(?:muestra|muéstrame|muestrame|revela|imprime|repite|dime|mostre|revele|zeig|zeige|gib|verrate|wiederhole|affiche|révèle|revele|montre|répète|mostra|rivela|ripeti)\w*\s+(?:\w+\s+){0,4}?
          (?:prompt\s+(?:del\s+|do\s+|di\s+)?sistema|system-?prompt|prompt\s+syst[èe]me|instrucciones\s+(?:del\s+sistema|iniciales|ocultas)|instruções\s+(?:do\s+sistema|iniciais)
            |instrucoes\s+(?:do\s+sistema|iniciais)|systemanweisungen|anweisungen\s+des\s+systems|instructions\s+(?:syst[èe]me|initiales|cach[ée]es)|istruzioni\s+(?:di\s+sistema|iniziali))
        |\b(?:покажи|выведи|раскрой|повтори|напиши)\s+(?:\w+\s+){0,3}?(?:системн\w+\s+(?:промпт|подсказк|инструкци)\w*|(?:свои|твои|исходные|скрытые)\s+инструкции)
        |(?:显示|输出|告诉我|重复|打印|泄露).{0,8}(?:系统提示|系统指令|初始指令|隐藏指令)|(?:系统提示|系统指令|初始指令|隐藏指令).{0,10}(?:显示|输出|告诉|重复|打印|泄露|发给)|(?:システムプロンプト|初期指示).{0,8}(?:表示|教え|出力|見せ)
        |(?:시스템\s*프롬프트|초기\s*지시).{0,8}(?:보여|알려|출력)
        """;

    private const string SecretNoun = """
        (?:api\W?keys?|secret\W?keys?|access\W?(?:keys?|tokens?)|auth(?:entication|orization)?\W?(?:tokens?|headers?|keys?)|bearer\W?tokens?
          |session\W?(?:tokens?|cookies?|ids?)|private\W?keys?|ssh\W?keys?|signing\W?keys?|credentials?|passwords?|passphrases?|passcodes?|secrets?
          |client\W?secrets?|connection\W?strings?|env(?:ironment)?\W?(?:vars?|variables?)|[a-z0-9]+(?:_[a-z0-9]+)*_(?:key|token|secret|password)s?|seed\W?phrases?|mnemonics?)
        """;

    private const string CredentialsPattern = $$"""
        \b(?:print|reveal|show|display|tell|give|share|send|leak|dump|output|list|echo|expose|disclose|divulge|read|cat|paste|post|upload|email|e-mail
          |forward|provide|return|write|copy|include|spell{{Short}}out|encode|what{{Short}}(?:is|are|was|were)|what's|whats)
        {{Gap}}{{Fill3}}
        (?:your|its|every|the{{Short}}(?:system|server|model|assistant|agent|bot|app|application|admin|administrator|host|deployment|provider|backend|company|service|operator|developer|root)(?:'s)?
          |all(?:{{Short}}(?:the|your|of{{Short}}(?:the|your)))?(?:{{Short}}(?:stored|saved|configured))?
          |any{{Short}}(?:stored|saved|configured|internal)
          |(?:the{{Short}})?(?:stored|saved|configured|internal|hidden|admin|root|master|production|prod|server|database|db))
        {{Gap}}{{Fill2}}
        (?:{{SecretNoun}}|tokens?|keys|cookies|pins?)\b
        """;

    private const string SecretOfPattern = $$"""
        \b(?:tell{{Short}}me|give{{Short}}me|send{{Short}}me|show{{Short}}me|what{{Short}}(?:is|are|was|were)|what's|whats|reveal|print|share|leak|output|list|dump)
        {{Short}}(?:the|all{{Short}}the|any)\W{1,3}(?:api\W?keys?|secret\W?keys?|access\W?(?:keys?|tokens?)|passwords?|passphrases?|credentials?|secrets?|tokens?|private\W?keys?|connection\W?strings?)
        (?:\W{1,6}\w+){0,4}?\W{1,6}(?:database|db|server|admin|administrator|root|production|prod|vault|cluster|api|service|backend|system|payments?|bank|aws|azure|gcp|openai|anthropic)\b
        """;

    private const string ProviderKeyPattern = $$"""
        \b(?:print|reveal|leak|dump|show{{Short}}me|tell{{Short}}me|give{{Short}}me|send|post|email|share|output|echo|expose|disclose|what{{Short}}is|what's|whats)
        {{Short}}(?:(?:the|your|our|its|this|that){{Short}})?
        (?:openai|anthropic|azure|aws|gcp|google|gemini|mistral|cohere|groq|huggingface|hf|stripe|github|slack|twilio|sendgrid|llm|provider|model|admin|root)
        {{Short}}(?:api{{Short}})?(?:keys?|tokens?|secrets?|credentials|passwords?)\b
        |\b(?:echo|print|printenv|output|send|show|reveal|leak|post|cat|dump|expose|include|put|add|append|embed|return|paste|write|tell{{Short}}me|give{{Short}}me)
          \W{1,6}(?:\w+\W{1,6}){0,3}?\$?\{?[a-z0-9]+(?:_[a-z0-9]+)*_(?:api_key|key|token|secret|password|secret_key|access_key|private_key)\b
        """;

    private const string SecretFilesPattern = $$"""
        \b(?:cat|print|show|display|output|dump|send|upload|post|exfiltrate|leak|email|curl|base64|more|head|tail|echo|encode|read|view|open|access
          |grab|fetch|scp|cp|copy|type|less|load|attach|include)
        {{Gap}}(?:\w+{{Gap}}){0,5}?
        (?:~/\.ssh/[\w.\-/]*|~/\.aws/|~/\.config/gcloud|~/\.kube/config|~/\.docker/config|/etc/(?:passwd|shadow|sudoers)|/proc/(?:self|\d+)/environ
          |id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?\b|\.npmrc|\.pypirc|\.netrc|\.git-credentials
          |credentials\.json|secrets\.ya?ml|service-?account\.json|\.htpasswd|wp-config\.php)
        |\b(?:cat|print|show|display|output|dump|send|upload|post|exfiltrate|leak|email|curl|base64|echo|encode)
        {{Gap}}(?:\w+{{Gap}}){0,5}?\.env(?:\.\w+)?\b
        |\b(?:run|execute|call|invoke){{Short}}(?:the{{Short}})?(?:command{{Short}})?[`'"]?(?:(?:env|printenv|export{{Short}}-p)\b|get-childitem{{Short}}env:|gci{{Short}}env:)
        """;

    private const string SecretFilesBenign = """\.pub$|\.env\.(?:example|sample|template|dist)$""";

    private const string EnvironmentPattern = """
        \b(?:print|output|dump|send|log|return|show|leak|expose|post|upload)\W{1,6}(?:\w+\W{1,6}){0,2}?
          (?:os\.environ|process\.env|environment\.getenvironmentvariables|system\.getenv|\$env:)
        """;

    private const string SendOutPattern = $$"""
        \b(?:send|post|forward|transmit|exfiltrate|submit|email|e-mail|mail|relay|leak|beacon|bcc|cc|upload)
        {{Gap}}(?:\w+\W{1,6}){0,6}?
        (?:(?:all|every|each|any|the{{Short}}(?:entire|full|whole|complete|rest{{Short}}of)){{Short}}
            (?:(?:the|of{{Short}}(?:the|your|my)|your|my|our|their){{Short}})?(?:\w+{{Short}})?
            (?:e-?mails?|messages?|files?|documents?|data|contacts|information|info|conversation|chat|history|inbox|records|notes|attachments?|secrets?|keys|tokens|credentials|passwords?|cookies|logs?)
          |conversation|chat{{Short}}(?:history|log|transcript)|transcript|system{{Short}}prompt|(?:your|the){{Short}}(?:instructions|prompt|context|memory)|previous{{Short}}messages
          |user{{Short}}(?:data|information|details|messages|e-?mails|files|credentials|passwords?|tokens?)|personal{{Short}}(?:data|information|details)
          |(?:the{{Short}})?user's{{Short}}(?:\w+{{Short}})?(?:data|information|details|messages|e-?mails|files|address|phone|credit{{Short}}card|password|ssn|location|history|number)
          |env(?:ironment)?{{Short}}(?:vars?|variables?)|\.env|os\.environ|process\.env|cookies|session{{Short}}(?:tokens?|cookies?|ids?)|tokens?|credentials?
          |api\W?keys?|secret\W?keys?|access\W?(?:keys?|tokens?)|passwords?|secrets?|ssh{{Short}}keys?|private{{Short}}keys?|credit{{Short}}card\w*|ssn
          |social{{Short}}security{{Short}}numbers?|[a-z0-9]+(?:_[a-z0-9]+)*_(?:key|token|secret|password)s?
          |(?:customer|client|user|employee|patient|member|subscriber|contact)s?{{Short}}(?:list|lists|data|records|database|details|e-?mails|addresses|files|information)
          |payroll|salary{{Short}}(?:data|spreadsheet|list)|database{{Short}}dump|db{{Short}}dump)\b
        (?:\W{1,6}\w+){0,8}?{{Gap}}(?:to|into|at|via|using|through|with)
        {{Gap}}(?:\w+{{Gap}}){0,3}?
        (?:https?://|www\.|ftp://|wss?://|[\w.+\-]+@[\w\-]+\.[a-z]{2,}
          |(?:url|endpoint|webhook|pastebin|gist|discord|telegram|ngrok|requestbin|burp|collaborator|interactsh|attacker|external|remote|third-?party)\b
          |[\w\-]+\.(?:com|net|org|io|xyz|ru|cn|tk|site|online|top|me|co|app|dev|cc|biz|info|pw|ml|ga|cf|gq|sh)\b)
        """;

    private const string ToolToOutsidePattern = $$"""
        \b(?:call|invoke|use|run|trigger|execute)\W{1,3}(?:the\W{1,3})?[\w\-]{2,40}\W{1,3}(?:tool|function|action|api|plugin|endpoint)\b
        (?:\W{1,6}\w+){0,12}?\W{1,6}(?:[\w.+\-]+@[\w\-]+\.[a-z]{2,}|https?://)
        |<\s*(?:full\W{1,3}|entire\W{1,3}|whole\W{1,3})?(?:conversation|chat\W{1,3}history|history|system\W{1,3}prompt|context|secrets?|api\W{1,3}keys?|user\W{1,3}data)\s*>
        |\{\s*(?:conversation|chat_history|history|system_prompt|user_email|user_data|secrets?|api_keys?|password|credentials|messages)\s*\}
        """;

    private const string UrlSmugglingPattern = """
        !\[[^\]\n]{0,200}\]\(\s*https?://[^)\s]{1,400}(?:\{|\[|<|%7b|%5b|\$\(|\$\{)
        |<img\b[^>]{0,300}\bsrc\s*=\s*["']?https?://[^"'\s>]{1,400}(?:\{|\[|%7b|%5b|\$\{)
        """;

    private const string DataNoun = """
        (?:conversation|chat|history|secrets?|keys?|tokens?|passwords?|credentials|system\W{1,3}prompt|instructions|messages|e-?mails|files|contacts
          |user's?\W{1,3}(?:\w+\W{1,3})?(?:data|details|information|e-?mail|name|address|messages)|personal\W{1,3}data|data|summary|context|memory)
        """;

    private const string AppendToUrlPattern = $$"""
        \b(?:append|add|include|encode|embed|put|insert|attach|concatenate)
        {{Gap}}{{Fill4}}{{DataNoun}}\b
        (?:\W{1,6}\w+){0,6}?{{Gap}}(?:to|into|in|as)
        {{Gap}}(?:(?:the|a|this|that|each|every|your){{Short}})?
        (?:url|link|query{{Short}}(?:string|parameter)|image{{Short}}(?:url|link|source|src)|markdown{{Short}}image|hyperlink|(?:url{{Short}})?parameter)\b
        |\b(?:render|display|show|output|include|insert){{Gap}}{{Fill3}}(?:markdown{{Short}})?(?:image|img|picture|pixel)
          {{Gap}}(?:\w+{{Gap}}){0,6}?https?://[^\s)]{1,300}?(?:\{|\[|<|q=|data=|d=|c=|secret|token|key|conversation|history)
        |\b(?:open|visit|fetch|browse{{Short}}to|navigate{{Short}}to|load|request|call|get)\W{1,6}(?:\w+\W{1,6}){0,4}?https?://[^\s]{1,300}?[?&][\w\-]{1,30}=[^\s]{0,100}?
          (?:\W{1,6}\w+){0,3}?\W{1,6}(?:followed{{Short}}by|appended{{Short}}with|with|plus|containing|including)\W{1,6}(?:\w+\W{1,6}){0,5}?{{DataNoun}}\b
        """;

    private const string DecodeRequestPattern = $$"""
        \b(?:decode|decrypt|decipher|unscramble|deobfuscate|translate|convert|reverse|read|interpret|rot13|rot-13)
        {{Gap}}(?:\w+{{Gap}}){0,4}?
        (?:base64|b64|base-64|hex|hexadecimal|rot13|rot-13|caesar|cipher|ciphertext|binary|morse|backwards|reversed|encoded|encrypted|obfuscated|this|it)\b
        (?:\W{1,6}\w+){0,8}?{{Gap}}(?:and|then)
        {{Gap}}(?:\w+{{Gap}}){0,2}?
        (?:follow|execute|run|do|obey|perform|carry{{Short}}out|act{{Short}}on|comply|apply|treat)\b
        |\b(?:follow|execute|obey|run|carry{{Short}}out|comply{{Short}}with|act{{Short}}on)
        {{Gap}}(?:\w+{{Gap}}){0,2}?(?:the{{Short}})?
        (?:encoded|hidden|decoded|embedded|secret|invisible|base64|hex|obfuscated|encrypted){{Short}}(?:instructions?|commands?|message|text|payload|prompt|orders?)\b
        """;

    // On letters only (a–z, after leetspeak): phrases whose words an attacker has spaced out, split or run together.
    private const string LettersPattern = """
        (?:ignore|disregard|forget|bypass|override|neglect)(?:all|any|every)?(?:of)?(?:the|your|my|these|those)?
          (?:previous|prior|above|preceding|earlier|system|initial|original|safety)(?:instructions?|prompts?|rules|directives?|guidelines|commands|context|messages)
        |(?:ignore|disregard|forget)(?:all|any)?(?:of)?your(?:instructions?|rules|guidelines|programming|training|restrictions|directives)
        |(?:reveal|print|show|repeat|output|leak|dump|display|tellme|giveme|whatis|whatare)(?:me)?(?:your|the)(?:full|entire|whole|complete|hidden|secret|original|initial)?
          (?:systemprompt|systemmessage|initialprompt|initialinstructions|hiddenprompt|hiddeninstructions|secretprompt)
        |(?:reveal|print|show|repeat|output|leak|dump|display|tellme|giveme|whatis|whatare)(?:me)?your(?:instructions|apikeys?|secretkeys?|accesstokens?|credentials|passwords?)
        |youarenow(?:dan|in(?:developer|god|jailbreak|unrestricted|dan)mode|jailbroken|unrestricted|unfiltered|uncensored)
        |(?:enable|activate|enter)(?:developer|god|jailbreak|dan|unrestricted)mode|developermode(?:enabled|activated)
        |doanythingnow
        |(?:system|admin|developer)override
        """;
}
