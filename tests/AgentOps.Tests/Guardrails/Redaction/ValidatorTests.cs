using System.Numerics;
using AgentOps.Guardrails.Redaction;

namespace AgentOps.Tests.Guardrails.Redaction;

public class ValidatorTests
{
    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("4111 1111 1111 1111", true)]
    [InlineData("4111-1111-1111-1111", true)]
    [InlineData("79927398713", true)]
    [InlineData("378282246310005", true)]
    [InlineData("0", false)] // fewer than two digits
    [InlineData("00", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("79927398710", false)]
    [InlineData("4111.1111.1111.1111", false)]
    [InlineData("4111a111111111111", false)]
    [InlineData("", false)]
    public void Luhn_checks_the_last_digit(string number, bool valid) => Assert.Equal(valid, Luhn.IsValid(number));

    /// <summary>The textbook definition, digit by digit from the right, against the implementation on random digits.</summary>
    [Fact]
    public void Luhn_agrees_with_the_definition_on_random_numbers()
    {
        var random = new Random(7);
        var valid = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var digits = SecretSamples.Chars(random, "0123456789", random.Next(2, 25));
            var sum = digits.Reverse().Select((c, k) => k % 2 == 0 ? c - '0' : (c - '0') * 2 > 9 ? (c - '0') * 2 - 9 : (c - '0') * 2).Sum();
            var expected = sum % 10 == 0;
            Assert.Equal(expected, Luhn.IsValid(digits));
            if (expected) valid++;
            // The check digit makes any payload valid, and any other last digit invalid.
            var payload = digits[..^1];
            var check = Luhn.CheckDigit(payload);
            Assert.True(Luhn.IsValid(payload + check));
            Assert.False(Luhn.IsValid(payload + (char)('0' + (check - '0' + 1 + random.Next(9)) % 10)));
        }
        Assert.InRange(valid, 1_500, 2_500); // about one in ten
    }

    [Theory]
    [InlineData("DE89370400440532013000")]
    [InlineData("DE89 3704 0044 0532 0130 00")]
    [InlineData("de89 3704 0044 0532 0130 00")]
    [InlineData("GB29NWBK60161331926819")]
    [InlineData("GB82 WEST 1234 5698 7654 32")]
    [InlineData("FR1420041010050500013M02606")]
    [InlineData("NL91ABNA0417164300")]
    [InlineData("BE68539007547034")]
    [InlineData("CH9300762011623852957")]
    [InlineData("NO9386011117947")]
    [InlineData("ES9121000418450200051332")]
    [InlineData("IT60X0542811101000000123456")]
    [InlineData("MT84MALT011000012345MTLCAST001S")]
    [InlineData("SA0380000000608010167519")]
    [InlineData("LC55HEMM000100010012001200023015")]
    [InlineData("RU0204452560040702810412345678901")]
    public void Valid_ibans(string iban) => Assert.True(Iban.IsValid(iban));

    [Theory]
    [InlineData("DE88370400440532013000")] // check digits
    [InlineData("DE89370400440532013001")] // one digit changed
    [InlineData("DE89370400440532031000")] // two digits swapped
    [InlineData("DE8937040044053201300")] // one short for Germany
    [InlineData("DE893704004405320130000")] // one long
    [InlineData("XX89370400440532013000")] // no such country
    [InlineData("DE89 3704  0044 0532 0130 00")] // two spaces
    [InlineData(" DE89370400440532013000")]
    [InlineData("DE89-3704-0044-0532-0130-00")]
    [InlineData("")]
    [InlineData(null)]
    public void Invalid_ibans(string? iban) => Assert.False(Iban.IsValid(iban));

    /// <summary>Random IBANs of every country against a big-integer mod 97; every one-character change is caught.</summary>
    [Fact]
    public void Iban_mod97_agrees_with_big_integers_and_catches_every_single_change()
    {
        var random = new Random(11);
        for (var i = 0; i < 5_000; i++)
        {
            var iban = SecretSamples.IbanNumber(random).Replace(" ", "", StringComparison.Ordinal);
            Assert.True(Iban.IsValid(iban), iban);
            Assert.Equal(1, BigMod97(iban));
            var at = 2 + random.Next(iban.Length - 2);
            var changed = iban.ToCharArray();
            var alphabet = char.IsAsciiDigit(iban[at]) ? "0123456789" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
            do changed[at] = alphabet[random.Next(alphabet.Length)]; while (changed[at] == iban[at]);
            var other = new string(changed);
            Assert.Equal(BigMod97(other) == 1, Iban.IsValid(other));
            Assert.False(Iban.IsValid(other), $"{iban} → {other}");
        }
    }

    [Fact]
    public void Every_country_has_its_length()
    {
        Assert.Equal(22, Iban.LengthOf("DE"));
        Assert.Equal(15, Iban.LengthOf("NO"));
        Assert.Equal(33, Iban.LengthOf("RU"));
        Assert.Null(Iban.LengthOf("US"));
        Assert.True(Iban.Lengths.Count >= 85);
        Assert.All(Iban.Lengths, kv => Assert.InRange(kv.Value, 15, 34));
    }

    private static int BigMod97(string iban)
    {
        var moved = iban[4..] + iban[..4];
        var digits = string.Concat(moved.Select(c => char.IsAsciiDigit(c) ? c.ToString() : (c - 'A' + 10).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return (int)(BigInteger.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) % 97);
    }
}
