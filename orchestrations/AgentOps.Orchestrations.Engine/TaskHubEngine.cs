using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentOps.Orchestrations.Engine;

/// <summary>
/// The self-host's durabletask-dotnet worker: the build target of <c>AddDurableTaskWorker</c>, so orchestrators and
/// activities are registered exactly as for any durabletask worker (AgentOpsTasks), and run on a Durable Task
/// Framework <see cref="TaskHubWorker"/> over the configured <see cref="IOrchestrationService"/> through the public
/// shims (<see cref="DurableTaskShimFactory"/>, "for alternate .NET-based durable task runtimes"). Orchestrators are
/// created per execution; each activity runs in a DI scope of its own.
/// </summary>
public sealed class TaskHubEngine(string name, IDurableTaskFactory factory, IOptionsMonitor<DurableTaskWorkerOptions> options,
    IOrchestrationService service, IServiceProvider services, ILoggerFactory loggers) : DurableTaskWorker(name, factory)
{
    private TaskHubWorker? _worker;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var shims = new DurableTaskShimFactory(options.Get(Name), loggers);
        _worker = new TaskHubWorker(service, new Orchestrations(Factory, services, shims), new Activities(Factory, services, shims), loggers)
        {
            // Failures reach orchestrators as TaskFailedException with FailureDetails, as on Azure.
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };
        await service.CreateIfNotExistsAsync();
        await _worker.StartAsync();
        try { await Task.Delay(Timeout.Infinite, stoppingToken); }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Not forced: in-flight activities finish (a shard stops at its next batch boundary on the host's stopping token).
        if (_worker is not null) await _worker.StopAsync(isForced: false);
    }

    /// <summary>Orchestrators by name, a new shim per execution (a shim holds that execution's context).</summary>
    private sealed class Orchestrations(IDurableTaskFactory factory, IServiceProvider services, DurableTaskShimFactory shims) : INameVersionObjectManager<TaskOrchestration>
    {
        public void Add(ObjectCreator<TaskOrchestration> creator) => throw new NotSupportedException("Register orchestrators with AddDurableTaskWorker.");

        public TaskOrchestration? GetObject(string name, string? version) =>
            factory.TryCreateOrchestrator(new TaskName(name), services, out var orchestrator) ? shims.CreateOrchestration(new TaskName(name), orchestrator) : null;
    }

    /// <summary>Activities by name; each run resolves its activity in a DI scope of its own.</summary>
    private sealed class Activities(IDurableTaskFactory factory, IServiceProvider services, DurableTaskShimFactory shims) : INameVersionObjectManager<TaskActivity>
    {
        public void Add(ObjectCreator<TaskActivity> creator) => throw new NotSupportedException("Register activities with AddDurableTaskWorker.");

        public TaskActivity? GetObject(string name, string? version) => new Scoped(new TaskName(name), factory, services, shims);
    }

    private sealed class Scoped(TaskName name, IDurableTaskFactory factory, IServiceProvider services, DurableTaskShimFactory shims) : TaskActivity
    {
        public override async Task<string?> RunAsync(TaskContext context, string? input)
        {
            await using var scope = services.CreateAsyncScope();
            if (!factory.TryCreateActivity(name, scope.ServiceProvider, out var activity))
                throw new InvalidOperationException($"No activity named {name.Name} is registered.");
            return await shims.CreateActivity(name, activity).RunAsync(context, input);
        }

        public override string Run(TaskContext context, string input) => throw new NotSupportedException();
    }
}
