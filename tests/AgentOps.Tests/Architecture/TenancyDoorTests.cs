using AgentOps.Platform.Database;
using AgentOps.SelfHost;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace AgentOps.Tests.Architecture;

/// <summary>
/// One door to row-level security (issue 13, item 3), checked on the compiled assemblies of the application, the
/// self-host runtime and the orchestrations: only <see cref="Db"/> (and its cross-org handle <see cref="AcrossOrgs"/>)
/// names app.org_id, and nothing calls <see cref="Db.InOrgAsync{T}"/> with the empty id as a stand-in for "every
/// organization" — cross-org work says so with <see cref="Db.AcrossOrgsAsync{T}"/>.
/// </summary>
public class TenancyDoorTests
{
    private static readonly string[] Assemblies =
    [
        typeof(AgentOpsApplication).Assembly.Location,
        typeof(SelfHostRuntime).Assembly.Location,
        typeof(global::AgentOps.Orchestrations.Jobs.JobOrchestrator).Assembly.Location,
        typeof(global::AgentOps.Orchestrations.Engine.EngineSetup).Assembly.Location,
    ];

    private static readonly HashSet<string> Door = [typeof(Db).FullName!, typeof(AcrossOrgs).FullName!];

    [Fact]
    public void Only_Db_sets_app_org_id()
    {
        var naming = Assemblies.SelectMany(MethodsOf)
            .Where(m => m.Body.Instructions.Any(i => i.OpCode == OpCodes.Ldstr && ((string)i.Operand).Contains("app.org_id", StringComparison.Ordinal)))
            .ToList();
        // The door itself must show up, or the scan would pass on nothing.
        Assert.Contains(naming, m => Door.Contains(Outermost(m.DeclaringType).FullName));
        var found = naming.Where(m => !Door.Contains(Outermost(m.DeclaringType).FullName)).Select(m => m.FullName).ToList();
        Assert.True(found.Count == 0, "app.org_id outside Db (enter organizations through Db.InOrgAsync or AcrossOrgs.EnterAsync):\n" + string.Join("\n", found));
    }

    [Fact]
    public void No_code_enters_the_empty_organization()
    {
        var found = Assemblies.SelectMany(MethodsOf).Where(EntersTheEmptyOrganization).Select(m => m.FullName).ToList();
        Assert.True(found.Count == 0, "InOrgAsync(Guid.Empty, …) (use Db.AcrossOrgsAsync for work across organizations):\n" + string.Join("\n", found));
    }

    [Fact]
    public void The_scan_sees_an_empty_organization_passed_to_InOrgAsync()
    {
        // Guards the guard: this class's own breach (never run) must be found, or the rule above would pass on nothing.
        var self = AssemblyDefinition.ReadAssembly(typeof(TenancyDoorTests).Assembly.Location).MainModule;
        var breaches = self.GetTypes().Where(t => t.FullName.StartsWith(typeof(TenancyDoorTests).FullName!, StringComparison.Ordinal))
            .SelectMany(t => t.Methods).Where(m => m.HasBody).Where(EntersTheEmptyOrganization).Select(m => m.Name).ToList();
        Assert.Contains(breaches, name => name.Contains(nameof(Breach), StringComparison.Ordinal));
        Assert.Contains(breaches, name => name.Contains(nameof(BreachWithDefault), StringComparison.Ordinal));
    }

    private static Task<int> Breach(Db db, CancellationToken ct) => db.InOrgAsync(Guid.Empty, _ => Task.FromResult(1), ct);

    private static Task<int> BreachWithDefault(Db db, int n, CancellationToken ct) => db.InOrgAsync(default, _ => Task.FromResult(n), ct);

    /// <summary>
    /// The empty id loaded (Guid.Empty, or default(Guid)) and the next call that is not a delegate's construction (the
    /// work lambda comes between the org id and the call) is Db.InOrgAsync: the id is its organization argument.
    /// </summary>
    private static bool EntersTheEmptyOrganization(MethodDefinition method)
    {
        var instructions = method.Body.Instructions;
        for (var i = 0; i < instructions.Count; i++)
        {
            if (!LoadsEmptyGuid(instructions, i)) continue;
            var call = instructions.Skip(i + 1).FirstOrDefault(x => (x.OpCode == OpCodes.Call || x.OpCode == OpCodes.Callvirt || x.OpCode == OpCodes.Newobj)
                && !(x.OpCode == OpCodes.Newobj && IsDelegateConstructor((MethodReference)x.Operand)));
            if (call?.Operand is MethodReference { Name: "InOrgAsync" } target && target.DeclaringType.FullName == typeof(Db).FullName) return true;
        }
        return false;
    }

    /// <summary>Every delegate's constructor takes (object target, IntPtr method).</summary>
    private static bool IsDelegateConstructor(MethodReference ctor) =>
        ctor is { Name: ".ctor", Parameters: [{ ParameterType.FullName: "System.Object" }, { ParameterType.FullName: "System.IntPtr" }] };

    private static bool LoadsEmptyGuid(Mono.Collections.Generic.Collection<Instruction> instructions, int i) =>
        instructions[i] switch
        {
            { OpCode.Code: Code.Ldsfld, Operand: FieldReference { Name: "Empty", DeclaringType.FullName: "System.Guid" } } => true,
            { OpCode.Code: Code.Initobj, Operand: TypeReference { FullName: "System.Guid" } } => true,
            _ => false,
        };

    private static IEnumerable<MethodDefinition> MethodsOf(string assemblyPath) =>
        ModuleDefinition.ReadModule(assemblyPath).GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody);

    private static TypeReference Outermost(TypeReference t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }
}
