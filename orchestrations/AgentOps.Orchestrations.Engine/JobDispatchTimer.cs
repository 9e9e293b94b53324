using AgentOps.Jobs;
using AgentOps.Orchestrations.Jobs;
using AgentOps.Platform;
using AgentOps.Platform.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.Orchestrations.Engine;

/// <summary>
/// The self-host's job timer (Azure's is a Timer trigger over the same <see cref="JobStarter"/>): a tick every
/// AGENTOPS_JOBS_DISPATCH_SECONDS (10), and at once when a job is created, retried or cancelled on this process.
/// </summary>
public sealed class JobDispatchTimer(JobStarter starter, DurableTaskClient client, JobSignal signal, EngineOptions options,
    ILogger<JobDispatchTimer> logger) : BackgroundService
{
    private readonly string _name = $"self-host:{Environment.MachineName}/{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await starter.TickAsync(client, _name, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError("Job dispatch failed: {Error}", SafeErrors.Message(e));
            }
            try { await signal.WaitAsync(options.JobsDispatchInterval, stoppingToken); }
            catch (OperationCanceledException) { }
        }
    }
}
