namespace AgentOps.Guardrails.Redaction;

/// <summary>The Luhn (mod 10) check that every payment card number carries in its last digit (ISO/IEC 7812-1).</summary>
public static class Luhn
{
    /// <summary>
    /// Whether the digits pass the Luhn check. Spaces and dashes between digits are ignored (card numbers are written
    /// "4111 1111 1111 1111" or "4111-1111-…"); any other character, or fewer than two digits, is not valid.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> number)
    {
        var sum = 0;
        var digits = 0;
        for (var i = number.Length - 1; i >= 0; i--)
        {
            var c = number[i];
            if (c is ' ' or '-') continue;
            if (c is < '0' or > '9') return false;
            var d = c - '0';
            if ((digits & 1) == 1)
            {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
            digits++;
        }
        return digits >= 2 && sum % 10 == 0;
    }

    /// <summary>The check digit that makes <paramref name="payload"/> followed by it Luhn-valid (digits only).</summary>
    public static char CheckDigit(ReadOnlySpan<char> payload)
    {
        var sum = 0;
        for (int i = payload.Length - 1, position = 1; i >= 0; i--, position++)
        {
            var c = payload[i];
            if (c is < '0' or > '9') throw new ArgumentException("digits only", nameof(payload));
            var d = c - '0';
            if ((position & 1) == 1)
            {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
        }
        return (char)('0' + (10 - sum % 10) % 10);
    }
}
