using Microsoft.Extensions.Logging;

namespace WsFast.Server;

/// <summary>
/// Keeps one topic of this server in step with a shared broker: the live messages of the topic's channel are
/// applied in order, each exactly once, and whenever one is missing (the server was cut off, the broker restarted,
/// the topic's epoch changed) the topic is read again from the broker's history, which recovers what it still
/// holds and reports the rest as a gap. Made when the topic comes into being here, disposed when it retires.
/// </summary>
/// <remarks>
/// <para>The broker calls <see cref="OnMessageAsync"/> one message at a time, in the channel's order. A read of the
/// history runs in the background; messages arriving meanwhile wait in a bounded buffer
/// (<see cref="MaxBufferedMessages"/> and the history's own byte bound) and are applied after it, duplicates dropped.
/// Past the bound the buffer is let go and the topic read once more: what it held is in the history.</para>
/// <para>Sequence: a publish appends to the history before it publishes on the channel (one script, atomically), so
/// a message on the channel is always in a history read that starts after it arrived.</para>
/// </remarks>
internal sealed class TopicFeed : IDisposable
{
    /// <summary>Live messages held while the history is being read, at most.</summary>
    internal const int MaxBufferedMessages = 1024;

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(5);

    private readonly SharedBroker _broker;
    private readonly Topic _topic;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<(long Epoch, BrokerEntry Entry)> _buffered = [];
    private readonly long _maxBufferedBytes;
    private long _bufferedBytes;
    private bool _reading;      // guarded by _gate
    private bool _readAgain;    // guarded by _gate
    private int _behind;        // 1 once a message was skipped for a backlog, until a read starts
    private volatile bool _closed;

    public TopicFeed(SharedBroker broker, Topic topic, long maxBufferedBytes)
    {
        _broker = broker;
        _topic = topic;
        _maxBufferedBytes = maxBufferedBytes;
    }

    public Topic Topic => _topic;

    public bool IsClosed => _closed;

    /// <summary>Subscribes to the topic's channel (retrying with backoff while the broker is away), then reads its history.</summary>
    public async Task StartAsync()
    {
        TimeSpan retry = FirstRetry;
        while (!_closed)
        {
            try
            {
                await _broker.SubscribeAsync(this).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (!_closed)
            {
                _broker.FeedFailed(_topic.Name, e);
                await Task.Delay(retry).ConfigureAwait(false);
                retry = Next(retry);
            }
        }

        await ReadAgainAsync().ConfigureAwait(false);
    }

    /// <summary>A live message of the topic's channel, in the channel's order.</summary>
    public async Task OnMessageAsync(long epoch, BrokerEntry entry)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed)
            {
                return;
            }

            if (_reading)
            {
                Buffer(epoch, entry);
                return;
            }

            if (_topic.TryAppend(epoch, entry, _broker.Registry.ExceptSubscriber) == AppendResult.OutOfOrder)
            {
                _broker.OutOfOrder();
                Buffer(epoch, entry);
                StartReading();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads the topic again from the broker: after a reconnection, what was published meanwhile is recovered.</summary>
    public async Task ReadAgainAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_closed)
            {
                StartReading();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The broker's queue of this topic's messages grew past its bound: the caller skips the message (cheaply, so
    /// that the queue drains), and the topic is read again from the history, which has every skipped message.
    /// </summary>
    public void FellBehind()
    {
        if (Interlocked.Exchange(ref _behind, 1) == 0)
        {
            _ = ReadAgainAsync();
        }
    }

    /// <summary>The topic retired: its channel is left.</summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _broker.Unfollow(this);
    }

    /// <summary>The broker is going away with the server: stop, leaving nothing to undo.</summary>
    public void Close() => _closed = true;

    // Under the gate.
    private void StartReading()
    {
        if (_reading)
        {
            _readAgain = true;
            return;
        }

        _reading = true;
        _ = ReadLoopAsync();
    }

    private async Task ReadLoopAsync()
    {
        TimeSpan retry = FirstRetry;
        while (!_closed)
        {
            Volatile.Write(ref _behind, 0); // what is skipped from now on is after this read starts: it needs another
            BrokerSnapshot snapshot;
            try
            {
                snapshot = await _broker.ReadAsync(_topic.Name, _topic.IsSynced ? new TopicCursor(_topic.Epoch, _topic.LastSequence) : null).ConfigureAwait(false);
            }
            catch (Exception e) when (!_closed)
            {
                _broker.FeedFailed(_topic.Name, e);
                await Task.Delay(retry).ConfigureAwait(false);
                retry = Next(retry);
                continue;
            }
            catch (Exception)
            {
                return;
            }

            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_closed)
                {
                    return;
                }

                _topic.Synced(snapshot, _broker.Registry.ExceptSubscriber);
                bool inOrder = ApplyBuffered();
                if (inOrder && !_readAgain)
                {
                    _reading = false;
                    return;
                }

                _readAgain = false;
                retry = FirstRetry;
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    // Under the gate, after a read: the live messages that came meanwhile, oldest first. False when one is still
    // out of order (it came after a read that did not see it yet; or the epoch changed again): read once more.
    private bool ApplyBuffered()
    {
        bool inOrder = true;
        foreach ((long epoch, BrokerEntry entry) in _buffered)
        {
            if (inOrder && _topic.TryAppend(epoch, entry, _broker.Registry.ExceptSubscriber) == AppendResult.OutOfOrder)
            {
                inOrder = false;
            }
        }

        _buffered.Clear();
        _bufferedBytes = 0;
        return inOrder;
    }

    private void Buffer(long epoch, BrokerEntry entry)
    {
        if (_buffered.Count >= MaxBufferedMessages || _bufferedBytes + entry.Payload.Length > _maxBufferedBytes)
        {
            // The history has them: let the buffer go and read once more after this read.
            _buffered.Clear();
            _bufferedBytes = 0;
            _readAgain = true;
            return;
        }

        _buffered.Add((epoch, entry));
        _bufferedBytes += entry.Payload.Length;
    }

    private static TimeSpan Next(TimeSpan retry) => retry * 2 > LastRetry ? LastRetry : retry * 2;
}
