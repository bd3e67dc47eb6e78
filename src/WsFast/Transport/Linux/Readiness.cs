using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace WsFast.Transport.Linux;

/// <summary>
/// One direction of a socket's readiness, as an edge-triggered epoll loop reports it: <see cref="Signal"/> from the
/// loop, <see cref="WaitAsync"/> from the connection's one loop that reads (or writes). An edge that comes while
/// nobody waits is kept for the next wait, so none is lost; a waiter's continuation runs inline on the epoll
/// thread, as the runtime's sockets run theirs with inline completions. No allocation per wait.
/// </summary>
internal sealed class Readiness : IValueTaskSource<SocketError>
{
    private const int Idle = 0;
    private const int Signalled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<SocketError> _core;
    private int _state;
    private volatile bool _closed;
    private volatile bool _lasting;

    public Readiness()
    {
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>Completes at the next edge (at once if one came since the last wait), or when closed.</summary>
    public ValueTask<SocketError> WaitAsync()
    {
        if (_closed)
        {
            return new ValueTask<SocketError>(SocketError.OperationAborted);
        }

        if (_lasting || Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled)
        {
            return new ValueTask<SocketError>(SocketError.Success);
        }

        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle)
        {
            // Closed between the check above and now: nobody would complete the wait.
            if (_closed && Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
            {
                return new ValueTask<SocketError>(SocketError.OperationAborted);
            }

            return new ValueTask<SocketError>(this, _core.Version);
        }

        // An edge came between the two exchanges.
        Volatile.Write(ref _state, Idle);
        return new ValueTask<SocketError>(SocketError.Success);
    }

    /// <summary>An edge: wakes the waiter, or is kept for the next wait.</summary>
    public void Signal() => Complete(SocketError.Success);

    /// <summary>
    /// A state that no later edge will announce (the peer's FIN, a failed socket): this wait and every later one
    /// completes at once, so the next system call sees the end of the stream or the error. Edge-triggered epoll
    /// reports a FIN that came with the last bytes only once, with them; after a short read of those bytes no
    /// further edge would come.
    /// </summary>
    public void SignalLasting()
    {
        _lasting = true;
        Complete(SocketError.Success);
    }

    /// <summary>The socket is closed: the waiter, and every later wait, ends with <see cref="SocketError.OperationAborted"/>.</summary>
    public void Close()
    {
        _closed = true;
        Complete(SocketError.OperationAborted);
    }

    /// <summary>Ready for a new client's socket.</summary>
    public void Reset()
    {
        _closed = false;
        _lasting = false;
        Volatile.Write(ref _state, Idle);
    }

    SocketError IValueTaskSource<SocketError>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketError>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<SocketError>.OnCompleted(
        Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    private void Complete(SocketError result)
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Waiting)
            {
                if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                {
                    _core.SetResult(result);
                    return;
                }
            }
            else if (state == Idle)
            {
                if (result != SocketError.Success || Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle)
                {
                    return;
                }
            }
            else
            {
                return; // already signalled
            }
        }
    }
}
