using Microsoft.AspNetCore.Identity;

namespace AgentOps.Auth;

/// <summary>
/// Password storage: the shared framework's PasswordHasher (PBKDF2-HMAC-SHA512, 100,000 iterations, 128-bit salt,
/// versioned format so stronger settings rehash on the next login). Policy: 12 to 256 characters, not the e-mail.
/// </summary>
public static class Passwords
{
    public const int MinLength = 12;
    public const int MaxLength = 256;

    private static readonly PasswordHasher<object> Hasher = new();
    private static readonly object Subject = new();

    /// <summary>A hash of a random password, verified when the e-mail is unknown so timing does not reveal it.</summary>
    private static readonly string DecoyHash = Hasher.HashPassword(Subject, Guid.NewGuid().ToString());

    public static string Hash(string password) => Hasher.HashPassword(Subject, password);

    public enum Outcome { Failed, Success, SuccessRehashNeeded }

    public static Outcome Verify(string? hash, string password) =>
        Hasher.VerifyHashedPassword(Subject, hash ?? DecoyHash, password) switch
        {
            PasswordVerificationResult.Success when hash is not null => Outcome.Success,
            PasswordVerificationResult.SuccessRehashNeeded when hash is not null => Outcome.SuccessRehashNeeded,
            _ => Outcome.Failed,
        };

    public static void Check(Validation v, string path, string? password, string? email)
    {
        if (password is null) { v.Add(path, "is required."); return; }
        if (password.Length < MinLength) v.Add(path, $"must be at least {MinLength} characters.");
        else if (password.Length > MaxLength) v.Add(path, $"must be at most {MaxLength} characters.");
        else if (email is not null && string.Equals(password, email, StringComparison.OrdinalIgnoreCase)) v.Add(path, "must not be your e-mail address.");
    }
}
