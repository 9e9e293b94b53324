using Mono.Cecil;
using Mono.Cecil.Cil;

namespace AgentOps.Tests.Architecture;

/// <summary>
/// Which of the application's parts use which, read from the compiled assembly (Mono.Cecil), so a reference that
/// only shows up in IL — a lambda, an async state machine, a generic argument, a constant's type — counts too. A part
/// is the second namespace segment (<c>AgentOps.Budgets.BudgetRules</c> → Budgets; <c>AgentOps.Platform.Http</c> →
/// Platform); compiler-generated nested types belong to the type they are nested in; the namespace <c>AgentOps</c>
/// itself is the composition root, which may use everything.
/// </summary>
public static class Dependencies
{
    public const string CompositionRoot = "(root)";

    /// <summary>One use of a type of another part: from which type, to which type.</summary>
    public sealed record Use(string FromPart, string FromType, string ToPart, string ToType);

    public static IReadOnlyList<Use> Of(string assemblyPath, string rootNamespace)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var uses = new HashSet<Use>();
        foreach (var type in module.GetTypes())
        {
            var from = Outermost(type);
            var fromPart = PartOf(from.Namespace, rootNamespace);
            if (fromPart is null) continue;
            foreach (var used in Referenced(type))
            {
                var to = Outermost(used);
                var toPart = PartOf(to.Namespace, rootNamespace);
                if (toPart is null || toPart == fromPart || to.Scope.Name != module.Name && to.Module != module) continue;
                uses.Add(new Use(fromPart, from.FullName, toPart, to.FullName));
            }
        }
        return [.. uses.OrderBy(u => u.FromPart).ThenBy(u => u.ToPart).ThenBy(u => u.FromType).ThenBy(u => u.ToType)];
    }

    /// <summary>For each type <paramref name="which"/> picks (by its outermost type), every type it names (outermost, with its namespace).</summary>
    public static IReadOnlyList<(string Type, string UsedNamespace, string Used)> TypesUsedBy(string assemblyPath, Func<TypeDefinition, bool> which)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        return [.. module.GetTypes().Select(t => (Type: t, Outer: (TypeDefinition)Outermost(t))).Where(t => which(t.Outer))
            .SelectMany(t => Referenced(t.Type).Select(Outermost).Select(r => (t.Outer.FullName, r.Namespace, r.FullName))).Distinct().Order()];
    }

    private static string? PartOf(string ns, string root) =>
        ns == root ? CompositionRoot
        : ns.StartsWith(root + ".", StringComparison.Ordinal) ? ns[(root.Length + 1)..].Split('.')[0]
        : null;

    private static TypeReference Outermost(TypeReference t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }

    /// <summary>Every type a type's signatures, attributes and method bodies name.</summary>
    private static IEnumerable<TypeReference> Referenced(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? t)
        {
            switch (t)
            {
                case null: return;
                case GenericInstanceType g:
                    Add(g.ElementType);
                    foreach (var a in g.GenericArguments) Add(a);
                    return;
                case TypeSpecification s: Add(s.ElementType); return;
                case GenericParameter: return;
                default: found.Add(t); return;
            }
        }
        void Attributes(ICustomAttributeProvider p)
        {
            foreach (var a in p.CustomAttributes) Add(a.AttributeType);
        }
        void Method(MethodReference m)
        {
            Add(m.DeclaringType);
            Add(m.ReturnType);
            foreach (var p in m.Parameters) Add(p.ParameterType);
            if (m is GenericInstanceMethod g) foreach (var a in g.GenericArguments) Add(a);
        }
        Add(type.BaseType);
        Attributes(type);
        foreach (var i in type.Interfaces) Add(i.InterfaceType);
        foreach (var f in type.Fields) { Add(f.FieldType); Attributes(f); }
        foreach (var p in type.Properties) { Add(p.PropertyType); Attributes(p); }
        foreach (var m in type.Methods)
        {
            Method(m);
            Attributes(m);
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) Add(v.VariableType);
            foreach (var op in m.Body.Instructions.Select(i => i.Operand))
                switch (op)
                {
                    case TypeReference t: Add(t); break;
                    case MethodReference mr: Method(mr); break;
                    case FieldReference fr: Add(fr.DeclaringType); Add(fr.FieldType); break;
                    case CallSite cs: Add(cs.ReturnType); break;
                }
        }
        return found;
    }
}
