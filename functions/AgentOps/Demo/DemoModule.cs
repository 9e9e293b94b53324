namespace AgentOps.Demo;

/// <summary>The demo seed has no services or routes: the hosts call it on request (./agentops up).</summary>
public sealed class DemoModule : IFeatureModule;
