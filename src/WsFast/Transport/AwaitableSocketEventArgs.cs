using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace WsFast.Transport;

/// <summary>
/// A reusable <see cref="SocketAsyncEventArgs"/> that can be awaited: each operation returns a
/// <see cref="ValueTask{TResult}"/> of the <see cref="SocketError"/>, backed by this object, so no Task is
/// allocated per receive, send or accept.
/// </summary>
/// <remarks>
/// One operation at a time, awaited exactly once. The execution context is not captured or flowed, and the
/// continuation runs on the thread that completed the operation (a thread-pool thread on Linux, where the
/// epoll thread hands completions to the pool), ignoring any synchronization context: the loops awaiting this
/// are transport-internal and never touch a caller's context. An operation that completes synchronously
/// returns an already completed ValueTask and never reaches the continuation machinery.
/// </remarks>
internal sealed class AwaitableSocketEventArgs : SocketAsyncEventArgs, IValueTaskSource<SocketError>
{
    private static readonly Action<object?> s_completedSentinel = static _ => { };

    private Action<object?>? _continuation;
    private object? _continuationState;

    public AwaitableSocketEventArgs()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Receives into <paramref name="buffer"/>; an empty buffer waits until data (or FIN) is available.</summary>
    public ValueTask<SocketError> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        SetBuffer(buffer);
        return socket.ReceiveAsync(this) ? new ValueTask<SocketError>(this, 0) : new ValueTask<SocketError>(SocketError);
    }

    /// <summary>Sends the buffer or buffer list set on this object.</summary>
    public ValueTask<SocketError> SendAsync(Socket socket)
        => socket.SendAsync(this) ? new ValueTask<SocketError>(this, 0) : new ValueTask<SocketError>(SocketError);

    /// <summary>Accepts a connection into <see cref="SocketAsyncEventArgs.AcceptSocket"/>.</summary>
    public ValueTask<SocketError> AcceptAsync(Socket listenSocket)
    {
        AcceptSocket = null;
        return listenSocket.AcceptAsync(this) ? new ValueTask<SocketError>(this, 0) : new ValueTask<SocketError>(SocketError);
    }

    /// <inheritdoc />
    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        Action<object?>? continuation = Interlocked.Exchange(ref _continuation, s_completedSentinel);
        if (continuation is not null)
        {
            continuation(_continuationState);
        }
    }

    SocketError IValueTaskSource<SocketError>.GetResult(short token)
    {
        _continuation = null;
        _continuationState = null;
        return SocketError;
    }

    ValueTaskSourceStatus IValueTaskSource<SocketError>.GetStatus(short token)
        => ReferenceEquals(Volatile.Read(ref _continuation), s_completedSentinel)
            ? ValueTaskSourceStatus.Succeeded
            : ValueTaskSourceStatus.Pending;

    void IValueTaskSource<SocketError>.OnCompleted(
        Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        _continuationState = state;
        if (Interlocked.CompareExchange(ref _continuation, continuation, null) is not null)
        {
            // The operation completed between the awaiter's IsCompleted check and this call; running the
            // continuation here would grow the stack of whoever called OnCompleted, so queue it instead.
            ThreadPool.UnsafeQueueUserWorkItem(continuation, state, preferLocal: true);
        }
    }
}
