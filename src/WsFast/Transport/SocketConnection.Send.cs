using System.Buffers;
using System.Net.Sockets;

namespace WsFast.Transport;

internal sealed partial class SocketConnection
{
    // .NET on Unix gathers up to 8 buffers per sendmsg with stack-allocated iovecs; more would allocate arrays
    // per send.
    private const int MaxGather = 8;

    // The most bytes one send covers. A send completes only once all its bytes are in the kernel, so a single
    // 16 MiB frame to a slow reader would otherwise show no progress for minutes; in pieces of this size the
    // send-stall deadline sees a slow but live reader move (at 30 s, anything faster than ~9 KiB/s), while a
    // 64 KiB bulk frame still goes out in one send.
    internal const int MaxSendBytes = 256 * 1024;

    private static readonly Task<bool> s_notStarted = Task.FromResult(false);

    private readonly OutboundQueue _queue = new();
    private OutboundQueue? _held; // data frames that came while a fragmented message is open; made on first need
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
    private bool _holding;           // a fragmented message is open: data frames wait in _held until it ends
    private bool _fragmentWaiting;   // the sender of a fragmented message awaits _fragmentSignal
    private long _drainBytes;
    private int _drainCount;
    private long _fragmentBytes;
    private int _fragmentCount;
    private ReusableSignal? _fragmentSignal; // made on the first wait: most connections never send fragments
    private IMemoryOwner<byte>? _coalesced;

    // What the next send covers, set by PrepareSend: one stretch of memory, or the gathered list.
    private ReadOnlyMemory<byte> _sending;
    private bool _sendingGathered;

    private Task<bool> _outputClosed = s_notStarted;
    private long _progressAt; // Environment.TickCount64 when the queue last became non-empty or a send completed

    /// <summary>
    /// Bytes queued and not yet sent (a snapshot; other threads may be changing it), including those held back
    /// behind an open fragmented message.
    /// </summary>
    public long QueuedBytes => _queue.Bytes + (_held?.Bytes ?? 0);

    /// <summary>Buffer references queued and not yet fully sent (a snapshot), including those held back.</summary>
    public int QueuedCount => _queue.Count + (_held?.Count ?? 0);

    /// <summary>Buffer references the send loop may send now: queued, not held back behind an open message (a snapshot).</summary>
    public int SendableCount => _queue.Count;

    /// <summary>
    /// When the output last made progress (<see cref="Environment.TickCount64"/>): the queue became non-empty,
    /// or a send completed. A queue that stays non-empty long after this has stalled: the peer is not reading.
    /// </summary>
    public long LastSendProgress => Volatile.Read(ref _progressAt);

    /// <summary>Whether bytes may still be queued (output not completed, the connection not aborted).</summary>
    internal bool CanSend(long id)
    {
        lock (_sync)
        {
            return id == _id && !_outputCompleted;
        }
    }

    /// <summary>
    /// Completes when the send side is done: true once everything queued before output was completed was
    /// sent and our FIN went out; false when sending failed or the connection was aborted first. Never faults.
    /// </summary>
    public Task<bool> OutputClosed => _outputClosed;

    /// <summary>
    /// Queues <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> for
    /// client <paramref name="id"/>, to be sent after everything queued before, taking ownership of one
    /// reference: the connection releases it once those bytes are sent, or when the connection ends with them
    /// still queued.
    /// </summary>
    /// <returns>
    /// True if queued; false if output is completed, the connection aborted or closed, or <paramref name="id"/>
    /// is not the current client's, in which case the reference has been released already.
    /// </returns>
    /// <remarks>
    /// Thread-safe. When the connection is not already sending, the send starts on the calling thread (usually
    /// completing there with one syscall) unless <paramref name="mode"/> dispatches it; nothing waits for the
    /// peer. There is no limit here: callers bound memory with <see cref="QueuedBytes"/>,
    /// <see cref="QueuedCount"/> and <see cref="WaitForDrainAsync"/>. The bytes must not change until sent.
    /// Invalid arguments throw without taking the reference.
    /// </remarks>
    internal bool Enqueue(long id, SharedBuffer buffer, int offset, int count, EnqueueMode mode)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, buffer.Capacity - count);

        bool last = mode is EnqueueMode.Last or EnqueueMode.LastDroppingQueued;
        bool queued = false;
        bool held = false;
        bool wake = false;
        SharedBuffer? superseded = null;
        lock (_sync)
        {
            if (id == _id && !_outputCompleted)
            {
                queued = true;
                _outputCompleted = last;
                if (mode == EnqueueMode.LastDroppingQueued)
                {
                    _queue.DropUnsent();
                }

                if (last)
                {
                    // What waits behind an unfinished message can never go out: it would land inside the message.
                    StopHoldingLocked(release: true);
                }

                if (count > 0 && _holding && mode is EnqueueMode.Append or EnqueueMode.Dispatched)
                {
                    (_held ??= new OutboundQueue()).Enqueue(buffer, offset, count);
                    held = true;
                }
                else if (count > 0)
                {
                    superseded = mode == EnqueueMode.Replaceable ? _queue.TryReplace(buffer, offset, count) : null;
                    if (superseded is null)
                    {
                        if (_queue.Count == 0)
                        {
                            Volatile.Write(ref _progressAt, Environment.TickCount64);
                        }

                        _queue.Enqueue(buffer, offset, count, mode == EnqueueMode.Replaceable);
                    }
                }

                if (mode == EnqueueMode.Fragment)
                {
                    _holding = true;
                }
                else if (mode == EnqueueMode.FinalFragment)
                {
                    StopHoldingLocked(release: false);
                }

                // Nothing new to send after a replacement or a held buffer; an empty buffer matters only when it
                // ends the output.
                if ((superseded is null && !held && count > 0 && (!_corked || last)) || (count == 0 && last))
                {
                    wake = _sendLoopWaiting;
                    _sendLoopWaiting = false;
                }
            }
        }

        if (!queued || count == 0)
        {
            buffer.Release();
        }

        superseded?.Release();
        if (wake)
        {
            if (mode == EnqueueMode.Dispatched && queued && count > 0 && !held)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_sendWake, preferLocal: false);
            }
            else
            {
                _sendSignal.Set();
            }
        }

        return queued;
    }

    /// <summary>
    /// Client <paramref name="id"/> is sent nothing more: later enqueues are refused. Once what is queued has been
    /// sent, the send side is shut down (the peer reads EOF) and <see cref="OutputClosed"/> completes. With
    /// <paramref name="dropQueued"/>, what waits in the queue and is not yet being sent is dropped first. Receiving
    /// goes on. Idempotent; nothing for another client's id.
    /// </summary>
    internal void CompleteOutput(long id, bool dropQueued = false)
    {
        bool wake;
        lock (_sync)
        {
            if (id != _id || _outputCompleted)
            {
                return;
            }

            if (dropQueued)
            {
                _queue.DropUnsent();
            }

            StopHoldingLocked(release: true);
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
    /// Completes when at most <paramref name="bytes"/> bytes and <paramref name="count"/> buffers are queued, or
    /// the send side is done (sent, failed or aborted), or <paramref name="id"/> is not the current client's; at
    /// once if that is already so. One wait at a time per connection; the continuation may run on the thread
    /// that completed a send. Allocates nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another wait is in progress.</exception>
    internal ValueTask WaitForDrainAsync(long id, long bytes, int count)
    {
        lock (_sync)
        {
            if (id != _id || _sendEnded || (QueuedBytes <= bytes && QueuedCount <= count))
            {
                return ValueTask.CompletedTask;
            }

            if (_drainWaiting)
            {
                throw new InvalidOperationException("Only one drain wait at a time is supported.");
            }

            _drainWaiting = true;
            _drainBytes = bytes;
            _drainCount = count;
            _drainSignal.Reset();
            return _drainSignal.WaitAsync();
        }
    }

    /// <summary>
    /// For the sender of a fragmented message: completes when at most <paramref name="bytes"/> bytes and
    /// <paramref name="count"/> buffers are queued, held ones included, or when nothing but held buffers is
    /// queued (they cannot drain before the message ends, so waiting for them would never end), or the send side
    /// is done, or <paramref name="id"/> is not the current client's. Apart from the drain wait of
    /// <see cref="WaitForDrainAsync"/>, which other senders may be in meanwhile; one such wait at a time.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another fragment wait is in progress.</exception>
    internal ValueTask WaitForFragmentRoomAsync(long id, long bytes, int count)
    {
        lock (_sync)
        {
            if (id != _id || _sendEnded || HasFragmentRoomLocked(bytes, count))
            {
                return ValueTask.CompletedTask;
            }

            if (_fragmentWaiting)
            {
                throw new InvalidOperationException("Only one fragment wait at a time is supported.");
            }

            _fragmentWaiting = true;
            _fragmentBytes = bytes;
            _fragmentCount = count;
            ReusableSignal signal = _fragmentSignal ??= new ReusableSignal();
            signal.Reset();
            return signal.WaitAsync();
        }
    }

    private bool HasFragmentRoomLocked(long bytes, int count) =>
        _queue.Count == 0 || (QueuedBytes <= bytes && QueuedCount <= count);

    // Ends holding data frames back behind a fragmented message: they follow it (its last fragment is queued), or
    // are released unsent (the output ends first).
    private void StopHoldingLocked(bool release)
    {
        _holding = false;
        if (_held is not { Count: > 0 } held)
        {
            return;
        }

        if (release)
        {
            held.DropUnsent();
            return;
        }

        if (_queue.Count == 0)
        {
            Volatile.Write(ref _progressAt, Environment.TickCount64);
        }

        held.MoveTo(_queue);
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

    // Returns whether the send loop must be woken (outside the lock) to drop the queue and end.
    private bool AbortOutputLocked()
    {
        if (_aborted)
        {
            return false;
        }

        _aborted = true;
        _outputCompleted = true;
        bool wake = _sendLoopWaiting;
        _sendLoopWaiting = false;
        return wake;
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

                SocketError error = _sendingGathered ? await _io.SendAsync(_gathered!) : await _io.SendAsync(_sending);
                ReturnCoalesced();
                if (error != SocketError.Success)
                {
                    RecordFailure(error);
                    break;
                }

                OnSent(_io.BytesSent);
            }

            if (sentFin)
            {
                SocketError goodbye = await _io.BeforeShutdownAsync();
                if (goodbye != SocketError.Success)
                {
                    RecordFailure(goodbye);
                    sentFin = false;
                }
                else
                {
                    socket.Shutdown(SocketShutdown.Send);
                }
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
        if (sentFin)
        {
            StartLingering();
        }
        else
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

    // Called under _sync with a non-empty queue: points the next send at the first queued bytes.
    private void PrepareSend()
    {
        if (_queue.Count == 1)
        {
            _queue.InFlight = 1;
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
            _queue.InFlight = small;
            Coalesce(small, total);
            return;
        }

        _gathered ??= new List<ArraySegment<byte>>(MaxGather);
        _gathered.Clear();
        int count = Math.Min(_queue.Count, MaxGather);
        int room = MaxSendBytes;
        int used = 0;
        while (used < count && room > 0)
        {
            ArraySegment<byte> segment = _queue.Peek(used++);
            segment = segment.Count <= room ? segment : segment[..room];
            _gathered.Add(segment);
            room -= segment.Count;
        }

        _queue.InFlight = used;
        _sendingGathered = true;
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

        _sendingGathered = false;
        _sending = _coalesced.Memory[..total];
    }

    private void UseSingleBuffer(ArraySegment<byte> segment)
    {
        _sendingGathered = false;
        _sending = new ReadOnlyMemory<byte>(segment.Array, segment.Offset, Math.Min(segment.Count, MaxSendBytes));
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
        bool fragmentRoom = false;
        Volatile.Write(ref _progressAt, Environment.TickCount64);
        lock (_sync)
        {
            _queue.InFlight = 0;
            _queue.Consume(sent);
            if (_drainWaiting && QueuedBytes <= _drainBytes && QueuedCount <= _drainCount)
            {
                _drainWaiting = false;
                drained = true;
            }

            if (_fragmentWaiting && HasFragmentRoomLocked(_fragmentBytes, _fragmentCount))
            {
                _fragmentWaiting = false;
                fragmentRoom = true;
            }
        }

        if (drained)
        {
            _drainSignal.Set();
        }

        if (fragmentRoom)
        {
            _fragmentSignal!.Set();
        }
    }

    // The send side is over: refuse further enqueues, release whatever is still queued, wake a drain waiter.
    private void EndSending()
    {
        ReturnCoalesced();
        _sending = default;
        _gathered?.Clear();

        bool drained;
        bool fragmentRoom;
        lock (_sync)
        {
            _outputCompleted = true;
            _aborted = true;
            _sendEnded = true;
            _queue.Clear();
            _holding = false;
            _held?.Clear();
            drained = _drainWaiting;
            _drainWaiting = false;
            fragmentRoom = _fragmentWaiting;
            _fragmentWaiting = false;
        }

        if (drained)
        {
            _drainSignal.Set();
        }

        if (fragmentRoom)
        {
            _fragmentSignal!.Set();
        }
    }

    private void ResetOutputLocked()
    {
        _outputCompleted = false;
        _aborted = false;
        _sendLoopWaiting = false;
        _drainWaiting = false;
        _fragmentWaiting = false;
        _holding = false;
        _sendEnded = false;
        _corked = false;
        _drainBytes = 0;
        _drainCount = 0;
        _progressAt = 0;
    }
}
