namespace AgentOps.Approvals;

/// <summary>
/// In-process wake-ups for long-polls, keyed by approval id: a decision made on this replica wakes its waiters at
/// once; waiters on other replicas find it by polling the database (<see cref="ApprovalService.WaitPollInterval"/>).
/// A slot lives while someone waits on it, so the table holds only approvals being waited on.
/// </summary>
public sealed class ApprovalWaiters
{
    internal sealed class Slot
    {
        public TaskCompletionSource Signal = New();
        public int Waiters;
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Slot> _slots = [];

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Approvals being waited on, on this replica.</summary>
    public int Count { get { lock (_gate) return _slots.Count; } }

    /// <summary>Starts waiting on an approval; join before reading its state, so a decision in between is not missed.</summary>
    public Waiter Join(Guid approvalId)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(approvalId, out var slot)) _slots[approvalId] = slot = new Slot();
            slot.Waiters++;
            return new Waiter(this, approvalId, slot);
        }
    }

    /// <summary>Wakes everyone waiting on the approval (call after the decision committed).</summary>
    public void Wake(Guid approvalId)
    {
        TaskCompletionSource? signal = null;
        lock (_gate)
        {
            if (_slots.TryGetValue(approvalId, out var slot))
            {
                signal = slot.Signal;
                slot.Signal = New();
            }
        }
        signal?.TrySetResult();
    }

    public sealed class Waiter : IDisposable
    {
        private readonly ApprovalWaiters _owner;
        private readonly Guid _id;
        private readonly Slot _slot;
        private bool _disposed;

        internal Waiter(ApprovalWaiters owner, Guid id, Slot slot) => (_owner, _id, _slot) = (owner, id, slot);

        /// <summary>Completes at the next wake-up of this approval.</summary>
        public Task Next()
        {
            lock (_owner._gate) return _slot.Signal.Task;
        }

        public void Dispose()
        {
            lock (_owner._gate)
            {
                if (_disposed) return;
                _disposed = true;
                if (--_slot.Waiters == 0) _owner._slots.Remove(_id);
            }
        }
    }
}
