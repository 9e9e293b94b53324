using System.Reflection;
using System.Text.RegularExpressions;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace AgentOps.Tests.Architecture;

/// <summary>
/// Which part of the application writes which Postgres table, read from the SQL in the compiled assembly (Mono.Cecil):
/// every string literal a type's methods load and every string constant it declares, the pieces of an interpolated
/// string included. A write is INSERT INTO, UPDATE, DELETE FROM, TRUNCATE, MERGE INTO or COPY … FROM; a part is named
/// as in <see cref="Dependencies"/>. Not seen: writes inside SQL functions and triggers of the migrations (they are the
/// schema's, called by name).
/// </summary>
public static partial class SqlWrites
{
    /// <summary>One write: which part (and type) writes which table.</summary>
    public sealed record Write(string Part, string Type, string Table);

    /// <summary>A literal that writes a table whose name the literal does not hold (built at run time): the scan cannot see it.</summary>
    public sealed record HiddenWrite(string Part, string Type, string Sql);

    /// <summary>What a scan found: the writes, the hidden writes, and the tables the code itself creates (temporary ones, per part).</summary>
    public sealed record Scan(IReadOnlyList<Write> Writes, IReadOnlyList<HiddenWrite> Hidden, IReadOnlyDictionary<string, string> CreatedTables);

    public static Scan Of(string assemblyPath, string rootNamespace)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var writes = new HashSet<Write>();
        var hidden = new HashSet<HiddenWrite>();
        var created = new Dictionary<string, string>();
        foreach (var type in module.GetTypes())
        {
            var outer = type;
            while (outer.DeclaringType is not null) outer = outer.DeclaringType;
            var part = PartOf(outer.Namespace, rootNamespace);
            if (part is null) continue;
            foreach (var literal in Literals(type))
            {
                var sql = Comment().Replace(literal, " ");
                foreach (Match m in CreateTable().Matches(sql)) created[Unqualified(m.Groups["t"].Value)] = part;
                foreach (var table in Tables(sql)) writes.Add(new Write(part, outer.FullName, table));
                if (WriteOfNothing().IsMatch(sql)) hidden.Add(new HiddenWrite(part, outer.FullName, sql.Trim()));
            }
        }
        return new Scan([.. writes.OrderBy(w => w.Part).ThenBy(w => w.Table)], [.. hidden], created);
    }

    /// <summary>The tables the migrations (embedded in the application as <c>migrations/NNNN_name.sql</c>) create.</summary>
    public static IReadOnlySet<string> MigrationTables(Assembly application)
    {
        var tables = new HashSet<string>();
        foreach (var name in application.GetManifestResourceNames().Where(n => n.StartsWith("migrations/", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(application.GetManifestResourceStream(name)!);
            var sql = Comment().Replace(reader.ReadToEnd(), " ");
            foreach (Match m in CreateTable().Matches(sql)) tables.Add(Unqualified(m.Groups["t"].Value));
        }
        return tables;
    }

    /// <summary>The tables a piece of SQL writes (lower case, schema dropped).</summary>
    public static IEnumerable<string> Tables(string sql)
    {
        foreach (Match m in Writes().Matches(sql))
            foreach (var t in m.Groups["t"].Captures.Select(c => c.Value))
                yield return Unqualified(t);
    }

    private static string Unqualified(string name) => name.ToLowerInvariant().Split('.')[^1].Trim('"');

    private static IEnumerable<string> Literals(TypeDefinition type)
    {
        foreach (var f in type.Fields)
            if (f.HasConstant && f.Constant is string s) yield return s;
        foreach (var m in type.Methods.Where(m => m.HasBody))
            foreach (var i in m.Body.Instructions)
                if (i.OpCode == OpCodes.Ldstr && i.Operand is string s) yield return s;
    }

    private static string? PartOf(string ns, string root) =>
        ns == root ? Dependencies.CompositionRoot
        : ns.StartsWith(root + ".", StringComparison.Ordinal) ? ns[(root.Length + 1)..].Split('.')[0]
        : null;

    private const string Name = """(?:"?[a-z_][a-z0-9_$]*"?\.)?"?[a-z_][a-z0-9_$]*"?""";

    // UPDATE after DO (ON CONFLICT DO UPDATE) or FOR / KEY (row locks: FOR UPDATE, FOR NO KEY UPDATE) writes nothing by itself.
    [GeneratedRegex($"""
        \b(?:INSERT\s+INTO|MERGE\s+INTO|DELETE\s+FROM)\s+(?:ONLY\s+)?(?<t>{Name})
        | (?<!\b(?:DO|FOR|KEY)\s+)\bUPDATE\s+(?:ONLY\s+)?(?!SET\b|SKIP\b|NOWAIT\b|OF\b)(?<t>{Name})
        | \bTRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?(?<t>{Name})(?:\s*,\s*(?<t>{Name}))*
        | \bCOPY\s+(?<t>{Name})\s*(?:\([^)]*\))?\s+FROM\b
        """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex Writes();

    // A write keyword at the end of a literal piece: the table name follows at run time.
    [GeneratedRegex("""\b(?:INSERT\s+INTO|MERGE\s+INTO|DELETE\s+FROM|TRUNCATE|COPY)\s*$|(?<!\b(?:DO|FOR|KEY)\s+)\bUPDATE\s*$""", RegexOptions.IgnoreCase)]
    private static partial Regex WriteOfNothing();

    [GeneratedRegex($"""\bCREATE\s+(?:(?:UNLOGGED|TEMP|TEMPORARY)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?!IF\b)(?<t>{Name})""", RegexOptions.IgnoreCase)]
    private static partial Regex CreateTable();

    [GeneratedRegex("--[^\n]*")]
    private static partial Regex Comment();
}
