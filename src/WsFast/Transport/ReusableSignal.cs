using System.Threading.Tasks.Sources;

namespace WsFast.Transport;

/// <summary>
/// A one-waiter, reusable awaitable event: <see cref="Reset"/>, hand out <see cref="WaitAsync"/>, later
/// <see cref="Set"/>. No allocation per wait.
/// </summary>
/// <remarks>
/// The continuation runs synchronously inside <see cref="Set"/>, on the setting thread. That is deliberate:
/// waking the send loop from <see cref="TransportLease.Enqueue(SharedBuffer)"/> then sends on the enqueuing
/// thread without a thread hop. Callers must never call <see cref="Set"/> while holding a lock the woken code
/// takes. The owner serializes Reset/Set with its own lock; each Reset must be followed by at most one Set.
/// </remarks>
internal sealed class ReusableSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core;

    public ReusableSignal()
    {
        _core.RunContinuationsAsynchronously = false;
        _core.SetResult(true);
    }

    /// <summary>Arms the signal for a new wait.</summary>
    public void Reset() => _core.Reset();

    /// <summary>Returns the wait for the current arming.</summary>
    public ValueTask WaitAsync() => new(this, _core.Version);

    /// <summary>Completes the current wait, running its continuation inline.</summary>
    public void Set() => _core.SetResult(true);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(
        Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
