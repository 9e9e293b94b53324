using System.Text;

namespace AgentOps.Guardrails.Redaction;

/// <summary>
/// The redaction step as a benchmark calls it (./agentops bench guardrails): a realistic 4 KB prompt — prose, code, a
/// JSON tool call, log lines, dates, versions and ids that must stay, and one secret of every kind — redacted with the
/// default rules through a fresh map, as one model call would.
/// </summary>
public static class RedactionBenchmark
{
    // Declared before Prompt4K: static fields initialize in order.
    private static readonly string[] Paragraphs =
    [
        "You are a support agent for Example Corp. Answer the customer's question using the tools provided. Be concise, cite the ticket id, and never repeat credentials back to the user. Release 2.14.3 shipped on 2024-11-05 at 14:30 UTC; build 10.0.19045.2965 is the minimum supported.",
        "Customer: Hi, I'm Jane Doe (jane.doe@example.com, +44 20 7946 0958). My card 4111 1111 1111 1111 was charged twice for order 1234567890123 on 05/11/2024. Please refund to IBAN DE89 3704 0044 0532 0130 00 or call me at (415) 555-2671.",
        "Ticket T-88213 history: agent reset password at 09:12, escalated to tier 2 at 10:45. Related UUID 123e4567-e89b-12d3-a456-426614174000, trace 4bf92f3577b34da6a3ce929d0e0e4736, order total 1,299.00 EUR, 3 items, SKU 0047-1120-88.",
        "Tool call: {\"name\": \"lookup_customer\", \"arguments\": {\"email\": \"jane.doe@example.com\", \"phone\": \"+44 20 7946 0958\", \"limit\": 10, \"include\": [\"orders\", \"refunds\"]}}",
        "Log: 2024-11-05T14:31:02Z INFO http GET /v1/orders?id=1234567890123 200 12ms Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "Config dump (do not share): OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9o AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE GITHUB_TOKEN=ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R AGENTOPS_KEY=aok_AbCd1234_0123456789abcdefghijABCDEFGHIJ0123456789",
        "Internal notes: the customer's account was created in 2019, last login from 192.168.10.42, plan 'business-annual', seats 25, renewal 2025-01-01. Previous agent wrote: 'refund approved, see ticket T-88190 and T-88191'. Version check: 1.2.3, 10.0.1, v2024.11.",
        "Reply guidelines: greet the customer by first name, confirm the duplicate charge, state the refund timeline (3-5 business days), and close with the standard signature. Do not include any account numbers, card numbers or phone numbers in the reply. Max 120 words.",
    ];

    /// <summary>The 4 KB prompt (4,096 characters), the same every time.</summary>
    public static string Prompt4K { get; } = BuildPrompt(4096);

    /// <summary>One call's redaction of <paramref name="prompt"/> (the 4 KB prompt by default) with a fresh map.</summary>
    public static RedactionResult RedactPrompt(string? prompt = null) => Redactor.Default.Redact(prompt ?? Prompt4K, new RedactionMap());

    /// <summary>A prompt of exactly <paramref name="length"/> characters built from the sample paragraphs.</summary>
    public static string BuildPrompt(int length)
    {
        var text = new StringBuilder(length + Paragraphs[0].Length);
        for (var i = 0; text.Length < length; i++) text.Append(Paragraphs[i % Paragraphs.Length]).Append('\n');
        return text.ToString(0, length);
    }
}
