namespace AgentOps.Notifications;

/// <summary>Webhooks' settings, read and validated by <see cref="NotificationsModule"/>.</summary>
public sealed record WebhookOptions
{
    /// <summary>
    /// Let webhooks reach loopback, private, link-local and other non-public addresses (and plain http). Off by
    /// default: a webhook URL is chosen by an organization's admin, and must not become a way into our own network.
    /// </summary>
    public bool AllowPrivateTargets { get; init; }

    /// <summary>Reads AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS (true or false).</summary>
    public static WebhookOptions Read(Settings settings) => new()
    {
        AllowPrivateTargets = settings.Bool("AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS"),
    };
}
