using System.Security.Cryptography;
using System.Text;

namespace AgentOps.Audit;

/// <summary>
/// Verifying an organization's audit chain, pure: each row's hash must be sha256(previous hash || its canonical
/// text) and its prev_hash the previous row's hash, with chain indexes 1, 2, 3, ... without gaps. The canonical text
/// comes from the database's audit_canonical() (the same function the insert trigger hashed); the hashing and the
/// linking are checked here, independently of the database.
/// </summary>
public static class AuditChain
{
    public sealed record Link(long Index, byte[] PrevHash, byte[] Hash, string Canonical);

    public sealed record Verdict(bool Intact, long Rows, long? BrokenAt, string? Reason, string? HeadHash);

    public static Verdict Verify(IEnumerable<Link> chain)
    {
        var verifier = new Verifier();
        foreach (var link in chain)
            if (!verifier.Add(link)) break;
        return verifier.Result;
    }

    /// <summary>The same check, fed one row at a time (so a long chain is streamed, never held in memory).</summary>
    public sealed class Verifier
    {
        private byte[] _previous = [];
        private long _expected = 1;
        private long _rows;
        private Verdict? _broken;

        public Verdict Result => _broken ?? new Verdict(true, _rows, null, null, _rows == 0 ? null : Convert.ToHexStringLower(_previous));

        /// <summary>False once the chain is broken (the verdict says where and why).</summary>
        public bool Add(Link link)
        {
            if (_broken is not null) return false;
            _rows++;
            if (link.Index != _expected)
                _broken = new Verdict(false, _rows, _expected, $"row {_expected} is missing (found {link.Index} next)", null);
            else if (!link.PrevHash.AsSpan().SequenceEqual(_previous))
                _broken = new Verdict(false, _rows, link.Index, "its prev_hash is not the previous row's hash (a row before it was changed, removed or inserted)", null);
            else if (!Hash(_previous, link.Canonical).AsSpan().SequenceEqual(link.Hash))
                _broken = new Verdict(false, _rows, link.Index, "its content does not match its hash (the row was changed)", null);
            _previous = link.Hash;
            _expected++;
            return _broken is null;
        }
    }

    public static byte[] Hash(byte[] previous, string canonical) => SHA256.HashData([.. previous, .. Encoding.UTF8.GetBytes(canonical)]);
}
