using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace AgentOps.Functions.Tests.Infrastructure;

public enum Delivery { Completed, Failed, Poisoned }

/// <summary>
/// What the Functions host does with one message of a queue trigger (WebJobs' QueueProcessor), with the limits of our
/// host.json: receive it, invoke the function, delete the message when the function returns; when it throws, leave
/// the message to become visible again, or — once it has been delivered queues.maxDequeueCount times — copy it to
/// "&lt;queue&gt;-poison" and delete it. The one liberty: a failed message is visible again at once instead of after
/// queues.visibilityTimeout, so the tests do not wait.
/// </summary>
public sealed class QueueTriggerHost(string connectionString, string queueName)
{
    private static readonly QueueClientOptions Base64 = new() { MessageEncoding = QueueMessageEncoding.Base64 };

    public QueueClient Queue { get; } = new(connectionString, queueName, Base64);
    public QueueClient Poison { get; } = new(connectionString, Ingest.IngestQueues.PoisonName(queueName), Base64);

    /// <summary>host.json's extensions.queues.maxDequeueCount (the file is copied next to the tests, as next to the host).</summary>
    public static int MaxDequeueCount { get; } = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")))
        .RootElement.GetProperty("extensions").GetProperty("queues").GetProperty("maxDequeueCount").GetInt32();

    /// <summary>Delivers the next visible message once; null when the queue has none.</summary>
    public async Task<Delivery?> DeliverOnceAsync(Func<QueueMessage, Task> function)
    {
        QueueMessage? message = (await Queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value;
        if (message is null) return null;
        try
        {
            await function(message);
        }
        catch (Exception)
        {
            if (message.DequeueCount < MaxDequeueCount)
            {
                await Queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                return Delivery.Failed;
            }
            await Poison.SendMessageAsync(message.Body);
            await Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            return Delivery.Poisoned;
        }
        await Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        return Delivery.Completed;
    }

    public async Task<List<QueueMessage>> ReceiveAllAsync(QueueClient queue)
    {
        var all = new List<QueueMessage>();
        while ((await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value is { Length: > 0 } some) all.AddRange(some);
        return all;
    }
}
