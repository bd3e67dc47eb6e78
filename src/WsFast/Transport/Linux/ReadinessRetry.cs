using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace WsFast.Transport.Linux;

/// <summary>
/// A receive or send that the kernel refused with EWOULDBLOCK: it waits for the direction's next edge and tries
/// again, until the system call does something other than block. One per direction of a pooled connection, reused
/// for every wait, so an operation that has to wait allocates nothing. (An <c>async</c> method with the pooling
/// builder did allocate: its cache keeps one box per thread and core, fewer than the connections that wait at
/// once — 84 B per message on the 10-client 64 KiB echo.) The retry runs inline on the epoll thread, where the
/// edge is reported, and so does the caller's continuation.
/// </summary>
internal sealed class ReadinessRetry : IValueTaskSource<SocketError>
{
    private readonly Readiness _readiness;
    private readonly Func<SocketError> _attempt;
    private readonly Action _onEdge;
    private ManualResetValueTaskSourceCore<SocketError> _core;
    private ValueTaskAwaiter<SocketError> _edge;

    /// <param name="readiness">The direction's readiness.</param>
    /// <param name="attempt">The system call: <see cref="SocketError.WouldBlock"/> to wait for another edge.</param>
    public ReadinessRetry(Readiness readiness, Func<SocketError> attempt)
    {
        _readiness = readiness;
        _attempt = attempt;
        _onEdge = OnEdge;
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>Waits for the next edge, then attempts; completes with the first result that is not a wait.</summary>
    public ValueTask<SocketError> WaitThenAttempt()
    {
        _core.Reset();
        short version = _core.Version;
        WaitForEdge();
        return new ValueTask<SocketError>(this, version);
    }

    private void WaitForEdge()
    {
        while (true)
        {
            ValueTask<SocketError> edge = _readiness.WaitAsync();
            if (!edge.IsCompleted)
            {
                _edge = edge.GetAwaiter();
                _edge.UnsafeOnCompleted(_onEdge);
                return;
            }

            if (!AttemptAfter(edge.Result))
            {
                return;
            }
        }
    }

    private void OnEdge()
    {
        SocketError result = _edge.GetResult();
        _edge = default;
        if (AttemptAfter(result))
        {
            WaitForEdge();
        }
    }

    // True when the attempt would block again; otherwise the operation is complete.
    private bool AttemptAfter(SocketError edge)
    {
        SocketError error = edge == SocketError.Success ? _attempt() : edge;
        if (error == SocketError.WouldBlock)
        {
            return true;
        }

        _core.SetResult(error);
        return false;
    }

    SocketError IValueTaskSource<SocketError>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketError>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<SocketError>.OnCompleted(
        Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
