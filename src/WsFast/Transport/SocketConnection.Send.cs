using System.Buffers;
using System.Net.Sockets;

namespace WsFast.Transport;

public sealed partial class SocketConnection
{
    // .NET on Unix gathers up to 8 buffers per sendmsg with stack-allocated iovecs; more would allocate arrays
    // per send.
    private const int MaxGather = 8;

    private static readonly Task<bool> s_notStarted = Task.FromResult(false);

    private readonly AwaitableSocketEventArgs _sendArgs = new();
    private readonly OutboundQueue _queue = new();
    private List<ArraySegment<byte>>? _gathered; // made on the first gathered send: most connections never need it
    private readonly ReusableSignal _sendSignal = new();
    private readonly ReusableSignal _drainSignal = new();
    private SendWake? _sendWakeItem;

    // All guarded by _sync.
    private bool _outputCompleted;   // no more enqueues accepted
    private bool _aborted;           // drop the queue instead of draining it
    private bool _sendLoopWaiting;   // the send loop awaits _sendSignal
    private bool _drainWaiting;      // someone awaits _drainSignal
    private bool _sendEnded;         // the send loop has finished and released the queue
    private bool _corked;            // the receive loop is running the reader inline; hold sends until it returns
    private long _drainThreshold;
    private IMemoryOwner<byte>? _coalesced;

    private Task<bool> _outputClosed = s_notStarted;

    /// <summary>Bytes queued and not yet sent (a snapshot; other threads may be changing it).</summary>
    public long QueuedBytes => _queue.Bytes;

    /// <summary>Buffer references queued and not yet fully sent (a snapshot).</summary>
    public int QueuedCount => _queue.Count;

    /// <summary>
    /// Completes when the send side is done: true once everything queued before <see cref="CompleteOutput"/> was
    /// sent and our FIN went out; false when sending failed or the connection was aborted first. Never faults.
    /// </summary>
    public Task<bool> OutputClosed => _outputClosed;

    /// <summary>Queues <see cref="SharedBuffer.Length"/> bytes of <paramref name="buffer"/> from its start.</summary>
    /// <inheritdoc cref="Enqueue(SharedBuffer, int, int)"/>
    public bool Enqueue(SharedBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Enqueue(buffer, 0, buffer.Length);
    }

    /// <summary>
    /// Queues <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> to be
    /// sent after everything queued before, taking ownership of one reference: the connection releases it once
    /// those bytes are sent, or when the connection ends with them still queued.
    /// </summary>
    /// <returns>
    /// True if queued; false if output is completed or the connection aborted or closed, in which case the
    /// reference has been released already.
    /// </returns>
    /// <remarks>
    /// Thread-safe. When the connection is not already sending, the send starts on the calling thread (usually
    /// completing there with one syscall), so this call may take a few microseconds; nothing waits for the peer.
    /// There is no limit here: callers bound memory with <see cref="QueuedBytes"/> and
    /// <see cref="WaitForDrainAsync"/>. The bytes must not change until sent. Invalid arguments throw without
    /// taking the reference.
    /// </remarks>
    public bool Enqueue(SharedBuffer buffer, int offset, int count) => Enqueue(buffer, offset, count, last: false, dispatch: false);

    /// <summary>
    /// Like <see cref="Enqueue(SharedBuffer)"/>, except that when the connection is idle its send starts on a
    /// thread-pool thread rather than the caller's. A broadcast queues one buffer to thousands of connections:
    /// this way the publisher only appends to their queues, and the syscalls spread over every core.
    /// </summary>
    /// <inheritdoc cref="Enqueue(SharedBuffer, int, int)"/>
    public bool EnqueueDispatched(SharedBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Enqueue(buffer, 0, buffer.Length, last: false, dispatch: true);
    }

    /// <summary>
    /// Queues <see cref="SharedBuffer.Length"/> bytes of <paramref name="buffer"/> as the last bytes this
    /// connection sends: the same as <see cref="Enqueue(SharedBuffer)"/> followed by <see cref="CompleteOutput"/>,
    /// done atomically, so that no other thread's bytes can land after these (a WebSocket close frame).
    /// </summary>
    /// <returns>True if queued; false if output was already completed (the reference is then released).</returns>
    public bool EnqueueLast(SharedBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Enqueue(buffer, 0, buffer.Length, last: true, dispatch: false);
    }

    private bool Enqueue(SharedBuffer buffer, int offset, int count, bool last, bool dispatch)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, buffer.Capacity - count);

        bool queued = false;
        bool wake = false;
        lock (_sync)
        {
            if (!_outputCompleted && count > 0)
            {
                _queue.Enqueue(buffer, offset, count);
                queued = true;
                _outputCompleted = last;
                if (!_corked || last)
                {
                    wake = _sendLoopWaiting;
                    _sendLoopWaiting = false;
                }
            }
            else if (!_outputCompleted)
            {
                queued = true;   // nothing to send; accepted, and released below
                _outputCompleted = last;
                wake = last && _sendLoopWaiting;
                _sendLoopWaiting &= !wake;
            }
        }

        if (!queued || count == 0)
        {
            buffer.Release();
            if (wake)
            {
                _sendSignal.Set();
            }

            return queued;
        }

        if (wake)
        {
            if (dispatch)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_sendWake, preferLocal: false);
            }
            else
            {
                _sendSignal.Set();
            }
        }

        return true;
    }

    /// <summary>
    /// No more bytes will be queued: later <see cref="Enqueue(SharedBuffer)"/> calls return false. Once what is
    /// queued has been sent, the send side is shut down (the peer reads EOF) and <see cref="OutputClosed"/>
    /// completes. Receiving goes on. Idempotent.
    /// </summary>
    public void CompleteOutput()
    {
        bool wake;
        lock (_sync)
        {
            if (_outputCompleted)
            {
                return;
            }

            _outputCompleted = true;
            wake = _sendLoopWaiting;
            _sendLoopWaiting = false;
        }

        if (wake)
        {
            _sendSignal.Set();
        }
    }

    /// <summary>
    /// Completes when <see cref="QueuedBytes"/> is at or below <paramref name="threshold"/>, or the send side is
    /// done (sent, failed or aborted); at once if that is already so. One wait at a time per connection; the
    /// continuation may run on the thread that completed a send. Allocates nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another wait is in progress.</exception>
    public ValueTask WaitForDrainAsync(long threshold)
    {
        lock (_sync)
        {
            if (_queue.Bytes <= threshold || _sendEnded)
            {
                return ValueTask.CompletedTask;
            }

            if (_drainWaiting)
            {
                throw new InvalidOperationException("Only one drain wait at a time is supported.");
            }

            _drainWaiting = true;
            _drainThreshold = threshold;
            _drainSignal.Reset();
            return _drainSignal.WaitAsync();
        }
    }

    // While the receive loop hands new bytes to an inline reader, replies queued by that reader are held and sent
    // together when it returns: one syscall for all the frames answering one receive, as uWebSockets corks
    // around a message handler. Enqueues from other threads meanwhile wait at most for the same return.
    private void Cork()
    {
        lock (_sync)
        {
            _corked = true;
        }
    }

    private void Uncork()
    {
        bool wake = false;
        lock (_sync)
        {
            _corked = false;
            if (_sendLoopWaiting && _queue.Count > 0)
            {
                _sendLoopWaiting = false;
                wake = true;
            }
        }

        if (wake)
        {
            _sendSignal.Set();
        }
    }

    private void AbortOutput()
    {
        bool wake;
        lock (_sync)
        {
            if (_aborted)
            {
                return;
            }

            _aborted = true;
            _outputCompleted = true;
            wake = _sendLoopWaiting;
            _sendLoopWaiting = false;
        }

        if (wake)
        {
            _sendSignal.Set();
        }
    }

    // Long-lived per connection: one state machine for the connection's lifetime, idle on _sendSignal. Woken by
    // Enqueue, it continues inline on the enqueuing thread, so a reply sent from a handler goes out without a
    // thread hop. Only this loop sends and only it releases queued entries (besides Enqueue refusing one), so a
    // buffer is never released while the kernel may still read it.
    private async Task<bool> SendLoopAsync()
    {
        Socket socket = _socket!;
        bool sentFin = false;
        try
        {
            while (true)
            {
                ValueTask wakeUp = default;
                bool wait = false;
                lock (_sync)
                {
                    if (_aborted)
                    {
                        break;
                    }

                    if (_queue.Count == 0)
                    {
                        if (_outputCompleted)
                        {
                            sentFin = true;
                            break;
                        }

                        _sendLoopWaiting = true;
                        _sendSignal.Reset();
                        wakeUp = _sendSignal.WaitAsync();
                        wait = true;
                    }
                    else
                    {
                        PrepareSend();
                    }
                }

                if (wait)
                {
                    await wakeUp.ConfigureAwait(false);
                    continue;
                }

                SocketError error = await _sendArgs.SendAsync(socket);
                ReturnCoalesced();
                if (error != SocketError.Success)
                {
                    RecordFailure(error);
                    break;
                }

                OnSent(_sendArgs.BytesTransferred);
            }

            if (sentFin)
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (ObjectDisposedException)
        {
            sentFin = false;
        }
        catch (SocketException e)
        {
            RecordFailure(e.SocketErrorCode);
            sentFin = false;
        }

        EndSending();
        if (!sentFin)
        {
            // Sending failed or was aborted: the connection is of no further use.
            CloseSocket();
        }

        return sentFin;
    }

    private SendWake _sendWake => _sendWakeItem ??= new SendWake(_sendSignal);

    // Wakes the send loop from a thread-pool thread; one per connection, reused, so dispatching allocates nothing.
    private sealed class SendWake(ReusableSignal signal) : IThreadPoolWorkItem
    {
        public void Execute() => signal.Set();
    }

    // Called under _sync with a non-empty queue: points _sendArgs at the first queued bytes.
    private void PrepareSend()
    {
        if (_queue.Count == 1)
        {
            UseSingleBuffer(_queue.Peek(0));
            return;
        }

        // Several small buffers at the front are copied into one block and sent as one plain buffer; otherwise
        // up to MaxGather buffers go out as a buffer list. Measured with 100 connections each echoing 16
        // 32-byte messages per round as 16 buffers (2 cores, loopback, client in process): copying 1.31 M msg/s,
        // buffer list 0.85-0.92 M msg/s. Copying a few KiB costs less than pinning and describing each buffer,
        // and one syscall takes the whole burst instead of MaxGather buffers. A lone buffer (the 32-byte
        // ping-pong case) is sent as it is either way: ~120 k echoes/s, no copy.
        int small = CountCoalescible(out int total);
        if (small >= 2)
        {
            Coalesce(small, total);
            return;
        }

        if (!_sendArgs.MemoryBuffer.IsEmpty)
        {
            _sendArgs.SetBuffer(null, 0, 0);
        }

        _gathered ??= new List<ArraySegment<byte>>(MaxGather);
        _gathered.Clear();
        int count = Math.Min(_queue.Count, MaxGather);
        for (int i = 0; i < count; i++)
        {
            _gathered.Add(_queue.Peek(i));
        }

        _sendArgs.BufferList = _gathered;
    }

    // How many entries from the front fit together within the coalescing threshold.
    private int CountCoalescible(out int total)
    {
        total = 0;
        int count = 0;
        int limit = _options.CoalesceThreshold;
        while (count < _queue.Count)
        {
            int next = _queue.Peek(count).Count;
            if (total + next > limit)
            {
                break;
            }

            total += next;
            count++;
        }

        return count;
    }

    private void Coalesce(int count, int total)
    {
        _coalesced = _owner.BlockPool.Rent(total);
        Span<byte> target = _coalesced.Memory.Span;
        int written = 0;
        for (int i = 0; i < count; i++)
        {
            ArraySegment<byte> segment = _queue.Peek(i);
            segment.AsSpan().CopyTo(target[written..]);
            written += segment.Count;
        }

        if (_sendArgs.BufferList is not null)
        {
            _sendArgs.BufferList = null;
        }

        _sendArgs.SetBuffer(_coalesced.Memory[..total]);
    }

    private void UseSingleBuffer(ArraySegment<byte> segment)
    {
        if (_sendArgs.BufferList is not null)
        {
            _sendArgs.BufferList = null;
        }

        _sendArgs.SetBuffer(segment.Array, segment.Offset, segment.Count);
    }

    private void ReturnCoalesced()
    {
        if (_coalesced is not null)
        {
            _coalesced.Dispose();
            _coalesced = null;
        }
    }

    private void OnSent(int sent)
    {
        bool drained = false;
        lock (_sync)
        {
            _queue.Consume(sent);
            if (_drainWaiting && _queue.Bytes <= _drainThreshold)
            {
                _drainWaiting = false;
                drained = true;
            }
        }

        if (drained)
        {
            _drainSignal.Set();
        }
    }

    // The send side is over: refuse further enqueues, release whatever is still queued, wake a drain waiter.
    private void EndSending()
    {
        ReturnCoalesced();
        if (_sendArgs.BufferList is not null)
        {
            _sendArgs.BufferList = null;
        }

        _sendArgs.SetBuffer(null, 0, 0);
        _gathered?.Clear();

        bool drained;
        lock (_sync)
        {
            _outputCompleted = true;
            _aborted = true;
            _sendEnded = true;
            _queue.Clear();
            drained = _drainWaiting;
            _drainWaiting = false;
        }

        if (drained)
        {
            _drainSignal.Set();
        }
    }

    private void ResetOutput()
    {
        _outputCompleted = false;
        _aborted = false;
        _sendLoopWaiting = false;
        _drainWaiting = false;
        _sendEnded = false;
        _corked = false;
        _drainThreshold = 0;
    }
}
