using System.Reflection;
using AgentOps.Platform.Auth;
using Microsoft.Azure.Functions.Worker;

namespace AgentOps.Functions.Http;

/// <summary>The one permission an HTTP function needs: the Azure twin of the self-host's <c>.Requires(permission)</c>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequiresAttribute(Permission permission) : Attribute
{
    public Permission Permission { get; } = permission;
}

/// <summary>The HTTP function is open (signup, login, health): the Azure twin of the self-host's <c>.Anonymous()</c>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class AnonymousRouteAttribute : Attribute;

/// <summary>
/// The HTTP function accepts bodies up to this size instead of AGENTOPS_MAX_REQUEST_BYTES: the Azure twin of the
/// self-host's <c>.WithMetadata(new BodyLimit(bytes))</c> (ingest).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequestBodyLimitAttribute(long bytes) : Attribute
{
    public long Bytes { get; } = bytes;
}

/// <summary>
/// Per HTTP function name, the permission <see cref="Access"/> checks (null: anonymous) and the body limit when it
/// declares one. Read once at start-up from the attributes above. Like the self-host, it fails closed: an HTTP
/// function that declares neither permission nor anonymity, or both, stops the start-up, and a function missing from
/// the table is refused at request time.
/// </summary>
public sealed class FunctionAccess
{
    private readonly Dictionary<string, Permission?> _byFunction;
    private readonly Dictionary<string, long> _bodyLimits;

    private FunctionAccess(Dictionary<string, Permission?> byFunction, Dictionary<string, long> bodyLimits)
    {
        _byFunction = byFunction;
        _bodyLimits = bodyLimits;
    }

    public static FunctionAccess Scan(Assembly assembly)
    {
        var byFunction = new Dictionary<string, Permission?>(StringComparer.Ordinal);
        var bodyLimits = new Dictionary<string, long>(StringComparer.Ordinal);
        var errors = new List<string>();
        var methods = assembly.GetTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static));
        foreach (var method in methods)
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function) continue;
            if (!method.GetParameters().Any(p => p.GetCustomAttribute<HttpTriggerAttribute>() is not null)) continue;
            var requires = method.GetCustomAttribute<RequiresAttribute>();
            var anonymous = method.GetCustomAttribute<AnonymousRouteAttribute>() is not null;
            if ((requires is not null) ^ anonymous) // exactly one of the two
                byFunction[function.Name] = requires?.Permission;
            else
                errors.Add($"{method.DeclaringType?.Name}.{method.Name} (function {function.Name}) must declare exactly one of [Requires(...)] or [AnonymousRoute].");
            if (method.GetCustomAttribute<RequestBodyLimitAttribute>() is { } limit) bodyLimits[function.Name] = limit.Bytes;
        }
        if (errors.Count > 0) throw new InvalidOperationException("HTTP functions without a declared access rule:\n  " + string.Join("\n  ", errors));
        return new FunctionAccess(byFunction, bodyLimits);
    }

    /// <summary>False for a function that is not in the table; <paramref name="permission"/> is null for anonymous ones.</summary>
    public bool TryGet(string functionName, out Permission? permission) => _byFunction.TryGetValue(functionName, out permission);

    /// <summary>The function's own body limit ([RequestBodyLimit]); null: the default, AGENTOPS_MAX_REQUEST_BYTES.</summary>
    public long? BodyLimit(string functionName) => _bodyLimits.TryGetValue(functionName, out var bytes) ? bytes : null;

    /// <summary>Every distinct body limit a function declares (the middleware prepares one size check per limit).</summary>
    public IEnumerable<long> BodyLimits => _bodyLimits.Values.Distinct();
}
