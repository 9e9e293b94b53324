using AgentOps.Guardrails.Screening;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Guardrails.Screening;

public class PathPolicyTests
{
    private static readonly string[] Allow = ["src", "docs/public", "tests/unit/"];
    private static readonly string[] Deny = ["src/secrets", "docs/public/drafts", ".git"];

    [Theory]
    [InlineData("src/app/Program.cs", "src/app/Program.cs")]
    [InlineData("/src/app/Program.cs", "src/app/Program.cs")]
    [InlineData("./src/./app//Program.cs", "src/app/Program.cs")]
    [InlineData("src\\app\\Program.cs", "src/app/Program.cs")]
    [InlineData("src/app/../lib/x.cs", "src/lib/x.cs")]
    [InlineData("src/..", "")]
    [InlineData("", "")]
    [InlineData("/", "")]
    [InlineData(".", "")]
    [InlineData("%2e%2e/etc", "%2e%2e/etc")] // not decoded: a directory with that name
    [InlineData("~/x", "~/x")] // not expanded
    public void Paths_normalize_relative_to_the_root(string path, string expected) => Assert.Equal(expected, PathPolicy.Normalize(path));

    [Theory]
    [InlineData("..", "escapes_root")]
    [InlineData("../etc/passwd", "escapes_root")]
    [InlineData("src/../../etc/passwd", "escapes_root")]
    [InlineData("src\\..\\..\\windows\\win.ini", "escapes_root")]
    [InlineData("/../src/a.cs", "escapes_root")]
    [InlineData("C:\\src\\a.cs", "drive_or_scheme")]
    [InlineData("file:///etc/passwd", "drive_or_scheme")]
    [InlineData("src/a.cs::$DATA", "drive_or_scheme")]
    [InlineData("\\\\server\\share\\src\\a.cs", "unc_or_device_path")]
    [InlineData("//server/share/src", "unc_or_device_path")]
    [InlineData("src/secrets./key", "trailing_dot_or_space")]
    [InlineData("src/secrets /key", "trailing_dot_or_space")]
    [InlineData("src/.../a", "trailing_dot_or_space")]
    [InlineData("src/a\0.cs", "control_character")]
    [InlineData("src/a\n.cs", "control_character")]
    public void Traversal_and_platform_tricks_are_invalid_never_clamped(string path, string why)
    {
        Assert.Null(PathPolicy.Normalize(path));
        var decision = PathPolicy.Check(path, [""], []);
        Assert.False(decision.Eligible);
        Assert.Equal($"invalid_path: {why}", decision.Reason);
    }

    [Fact]
    public void Overlong_paths_are_invalid() =>
        Assert.Equal("invalid_path: too_long", PathPolicy.Check(new string('a', PathPolicy.MaxLength + 1), [""], []).Reason);

    [Theory]
    [InlineData("src/app/Program.cs", true, "allowed")]
    [InlineData("src", true, "allowed")]
    [InlineData("src/secrets/key.pem", false, "denied")]
    [InlineData("src/secrets", false, "denied")]
    [InlineData("src/app/../secrets/key.pem", false, "denied")]
    [InlineData("src/./secrets//key.pem", false, "denied")]
    [InlineData("src\\secrets\\key.pem", false, "denied")]
    [InlineData("SRC/SECRETS/key.pem", false, "denied")] // deny ignores case…
    [InlineData("src/Secrets/key.pem", false, "denied")]
    [InlineData("SRC/app/Program.cs", false, "not_allowed")] // …allow does not
    [InlineData("src/secretsplus/a.cs", true, "allowed")] // whole segments: secrets is not a prefix of secretsplus
    [InlineData("srcx/a.cs", false, "not_allowed")]
    [InlineData("docs/public/index.md", true, "allowed")]
    [InlineData("docs/public/drafts/plan.md", false, "denied")]
    [InlineData("docs/private/plan.md", false, "not_allowed")]
    [InlineData("docs/public/../private/plan.md", false, "not_allowed")]
    [InlineData("tests/unit/a_test.cs", true, "allowed")]
    [InlineData(".git/config", false, "denied")]
    [InlineData("src/../.git/config", false, "denied")]
    [InlineData("", false, "not_allowed")]
    public void Eligible_means_no_deny_prefix_and_some_allow_prefix(string path, bool eligible, string reason)
    {
        var decision = PathPolicy.Check(path, Allow, Deny);
        Assert.Equal(eligible, decision.Eligible);
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(eligible, PathPolicy.Eligible(path, Allow, Deny));
    }

    [Fact]
    public void Prefixes_match_whole_segments()
    {
        Assert.True(PathPolicy.Eligible("src/a", ["src/a"], []));
        Assert.True(PathPolicy.Eligible("src/a/b.cs", ["src/a"], []));
        Assert.True(PathPolicy.Eligible("src/a/b.cs", ["src/a/"], []));
        Assert.False(PathPolicy.Eligible("src/ab", ["src/a"], []));
        Assert.False(PathPolicy.Eligible("src/ab/c.cs", ["src/a"], []));
        Assert.False(PathPolicy.Eligible("src", ["src/a"], []));
    }

    [Fact]
    public void The_root_prefix_matches_everything_and_an_empty_allow_list_nothing()
    {
        Assert.True(PathPolicy.Eligible("any/where.txt", ["/"], []));
        Assert.True(PathPolicy.Eligible("any/where.txt", ["."], []));
        Assert.False(PathPolicy.Eligible("any/where.txt", [], []));
        Assert.False(PathPolicy.Eligible("any/where.txt", [""], [""]));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("C:/x")]
    [InlineData("a./b")]
    public void An_invalid_prefix_is_a_configuration_error(string prefix)
    {
        Assert.Throws<ArgumentException>(() => PathPolicy.Check("src/a.cs", [prefix], []));
        Assert.Throws<ArgumentException>(() => PathPolicy.Check("src/a.cs", ["src"], [prefix]));
    }

    private static readonly Gen<string> Paths =
        Gen.ListOf(Gen.Elements("src", "secrets", "SECRETS", "a", "b", "..", ".", "", "x.cs", "Src"))
            .SelectMany(segments => Gen.Elements("/", "\\", "//").Select(sep => string.Join(sep, segments)));

    [Fact]
    public void Normalized_paths_have_no_dot_segments_and_normalizing_again_changes_nothing() =>
        Prop.ForAll(Paths.ToArbitrary(), path =>
        {
            var normalized = PathPolicy.Normalize(path);
            if (normalized is null) return path.Split('/', '\\').Contains("..") || path.Replace('\\', '/').StartsWith("//", StringComparison.Ordinal);
            var segments = normalized.Length == 0 ? [] : normalized.Split('/');
            return segments.All(s => s is not ("" or "." or "..")) && PathPolicy.Normalize(normalized) == normalized;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void An_eligible_path_is_under_an_allow_prefix_and_under_no_deny_prefix_in_any_case() =>
        Prop.ForAll(Paths.ToArbitrary(), path =>
        {
            var decision = PathPolicy.Check(path, ["src", "a/b"], ["src/secrets", "a/b/x.cs"]);
            if (!decision.Eligible) return true;
            var p = decision.NormalizedPath!;
            var lower = p.ToLowerInvariant();
            return (p == "src" || p.StartsWith("src/", StringComparison.Ordinal) || p == "a/b" || p.StartsWith("a/b/", StringComparison.Ordinal))
                && lower != "src/secrets" && !lower.StartsWith("src/secrets/", StringComparison.Ordinal) && lower != "a/b/x.cs";
        }).QuickCheckThrowOnFailure();
}
