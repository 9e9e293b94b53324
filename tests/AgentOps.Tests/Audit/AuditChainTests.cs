using AgentOps.Audit;

namespace AgentOps.Tests.Audit;

public class AuditChainTests
{
    private static List<AuditChain.Link> Chain(params string[] contents)
    {
        var links = new List<AuditChain.Link>();
        var previous = Array.Empty<byte>();
        for (var i = 0; i < contents.Length; i++)
        {
            var hash = AuditChain.Hash(previous, contents[i]);
            links.Add(new AuditChain.Link(i + 1, previous, hash, contents[i]));
            previous = hash;
        }
        return links;
    }

    [Fact]
    public void An_untouched_chain_verifies_and_reports_its_head()
    {
        var chain = Chain("a", "b", "c");
        var verdict = AuditChain.Verify(chain);
        Assert.True(verdict.Intact);
        Assert.Equal(3, verdict.Rows);
        Assert.Equal(Convert.ToHexStringLower(chain[^1].Hash), verdict.HeadHash);
        Assert.True(AuditChain.Verify([]).Intact);
    }

    [Fact]
    public void A_changed_row_is_found_where_it_was_changed()
    {
        var chain = Chain("a", "b", "c");
        chain[1] = chain[1] with { Canonical = "B" };
        Assert.Equal((false, 2L), (AuditChain.Verify(chain).Intact, AuditChain.Verify(chain).BrokenAt!.Value));
    }

    [Fact]
    public void A_rehashed_row_breaks_the_next_link()
    {
        var chain = Chain("a", "b", "c");
        chain[1] = chain[1] with { Canonical = "B", Hash = AuditChain.Hash(chain[0].Hash, "B") };
        var verdict = AuditChain.Verify(chain);
        Assert.Equal(3, verdict.BrokenAt);
        Assert.Contains("prev_hash", verdict.Reason);
    }

    [Fact]
    public void A_removed_row_is_a_gap()
    {
        var chain = Chain("a", "b", "c");
        chain.RemoveAt(1);
        Assert.Equal(2, AuditChain.Verify(chain).BrokenAt);
    }
}
