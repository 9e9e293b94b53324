using AgentOps.Jobs;
using AgentOps.Orchestrations.Jobs;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace AgentOps.Functions.Jobs;

/// <summary>
/// The job orchestration as Durable functions: thin wrappers that call the host-neutral classes of
/// orchestrations/AgentOps.Orchestrations (the self-host runs the very same classes on its engine). The typed-call
/// source generator is not served here, so each trigger is written out; each is one line.
/// </summary>
public sealed class JobOrchestration(JobStarter starter, PlanJob plan, RunShard run, FinishJob finish)
{
    /// <summary>Every 10 s (the self-host's AGENTOPS_JOBS_DISPATCH_SECONDS default): due schedules and jobs start, lost orchestrations restart.</summary>
    [Function("JobsDispatch")]
    public Task Dispatch([TimerTrigger("*/10 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken ct) =>
        starter.TickAsync(client, "azure-timer", ct);

    [Function(nameof(JobOrchestrator))]
    public static Task<string> Orchestrate([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new JobOrchestrator().RunAsync(context, context.GetInput<JobRun>()!);

    [Function(nameof(PlanJob))]
    public Task<JobPlan> Plan([ActivityTrigger] JobRef job) => plan.RunAsync(Activity.Of(nameof(PlanJob)), job);

    [Function(nameof(RunShard))]
    public Task<ShardRun> Run([ActivityTrigger] ShardRef shard) => run.RunAsync(Activity.Of(nameof(RunShard)), shard);

    [Function(nameof(FinishJob))]
    public Task<string?> Finish([ActivityTrigger] JobRef job) => finish.RunAsync(Activity.Of(nameof(FinishJob)), job);

    /// <summary>The activity classes take a context they do not read; the Functions host passes the input alone.</summary>
    private sealed class Activity(TaskName name) : TaskActivityContext
    {
        public static Activity Of(string name) => new(new TaskName(name));
        public override TaskName Name => name;
        public override string InstanceId => "";
    }
}
