using System.Collections.Concurrent;

namespace WsFast.Transport;

/// <summary>
/// The connections one broadcast found idle, whose sends start once the publisher has let go of the topic's lock
/// (<see cref="Run"/>): on the publisher's thread, as uWebSockets sends a publish inline, and split over the
/// thread pool only when the process has several cores and enough connections to give each a share.
/// </summary>
/// <remarks>
/// With one thread-pool work item per connection instead, a 1,000-subscriber broadcast of 10 messages/s (server
/// pinned to one core) had the pool's workers calling <c>sched_yield</c> 0.25 times per delivery; batched, 0.08.
/// The server's CPU per delivery moved within that machine's noise (13.9-20.2 µs before, 16.0-16.5 after): the
/// larger cost there was the JIT's (see the executable's project file). Batches are pooled and grow to the
/// largest fan-out once, so a publish allocates nothing.
/// </remarks>
internal sealed class SendWakeBatch
{
    // A thread-pool hop costs a few microseconds of wake-up; below this many connections per share, waking them
    // on the publisher's thread costs less.
    private const int MinimumShare = 128;

    // Enough for the publishes under way at once; a batch beyond it is left to the garbage collector.
    private const int MaxPooled = 64;

    private static readonly ConcurrentQueue<SendWakeBatch> s_pool = new();
    private static int s_pooled;

    private SocketConnection[] _connections = new SocketConnection[16];
    private Share[]? _shares;
    private int _count;
    private int _unfinished;

    /// <summary>A batch with no connection in it.</summary>
    public static SendWakeBatch Rent()
    {
        if (s_pool.TryDequeue(out SendWakeBatch? batch))
        {
            Interlocked.Decrement(ref s_pooled);
            return batch;
        }

        return new SendWakeBatch();
    }

    /// <summary>Connections added so far.</summary>
    public int Count => _count;

    /// <summary>Adds a connection whose send loop an enqueue found waiting: <see cref="Run"/> wakes it.</summary>
    public void Add(SocketConnection connection)
    {
        if (_count == _connections.Length)
        {
            Array.Resize(ref _connections, _connections.Length * 2);
        }

        _connections[_count++] = connection;
    }

    /// <summary>
    /// Starts every added connection's send, then returns the batch to its pool: the caller must not touch it
    /// again. Call it outside any lock: the sends run here, or partly on thread-pool threads.
    /// </summary>
    public void Run()
    {
        int shares = Math.Min(Environment.ProcessorCount, _count / MinimumShare);
        if (shares <= 1)
        {
            Wake(0, _count);
            Return();
            return;
        }

        _shares ??= new Share[Environment.ProcessorCount];
        int size = (_count + shares - 1) / shares;
        Volatile.Write(ref _unfinished, shares);
        for (int i = 1; i < shares; i++)
        {
            Share share = _shares[i] ??= new Share(this);
            share.Start = i * size;
            share.End = Math.Min(_count, (i + 1) * size);
            ThreadPool.UnsafeQueueUserWorkItem(share, preferLocal: false);
        }

        Wake(0, size);
        Finish();
    }

    private void Wake(int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            _connections[i].WakeSendLoop();
        }
    }

    private void Finish()
    {
        if (Interlocked.Decrement(ref _unfinished) == 0)
        {
            Return();
        }
    }

    private void Return()
    {
        Array.Clear(_connections, 0, _count);
        _count = 0;
        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            s_pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }
    }

    // One thread-pool thread's share of a large batch; made once per batch and core, and reused.
    private sealed class Share(SendWakeBatch batch) : IThreadPoolWorkItem
    {
        public int Start;
        public int End;

        public void Execute()
        {
            batch.Wake(Start, End);
            batch.Finish();
        }
    }
}
