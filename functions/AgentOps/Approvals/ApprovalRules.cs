namespace AgentOps.Approvals;

/// <summary>
/// Who may decide an approval request, pure (the target rule behind ApprovalsDecide, which every signed-in person
/// holds and API keys never do): never the one who asked — the same person, or the same API key — and only someone
/// whose role the policy names in approval_required_from.
/// </summary>
public static class ApprovalRules
{
    public const string SelfForbidden = "approval_self_forbidden";
    public const string RoleRequired = "approval_role_required";

    public const int MaxCommentLength = 2000;

    /// <summary>Null when the caller may decide; otherwise the problem code (403) that says why not.</summary>
    public static string? MayDecide(Caller caller, string requestedByType, Guid? requestedBy, IReadOnlyCollection<string> requiredFrom)
    {
        if (requestedBy == caller.ActorId && requestedByType == Audit.AuditLog.ActorTypeWire(caller.Type)) return SelfForbidden;
        if (caller.Role is not { } role || !requiredFrom.Contains(Rbac.ToWire(role))) return RoleRequired;
        return null;
    }
}
