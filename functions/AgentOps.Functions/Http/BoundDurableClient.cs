using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Functions.Http;

/// <summary>
/// The Functions host hands out its <see cref="DurableTaskClient"/> through a binding, not DI: the catch-all function
/// binds it and puts it here, in the request's scope, where the application's endpoints (the orchestration monitor)
/// resolve it like on the self-host.
/// </summary>
public sealed class BoundDurableClient
{
    public DurableTaskClient? Client { get; set; }

    public static DurableTaskClient Resolve(IServiceProvider services) => services.GetRequiredService<BoundDurableClient>().Client
        ?? throw new InvalidOperationException("No DurableTaskClient is bound to this request (only the HTTP function binds one).");
}
