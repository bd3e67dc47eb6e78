using WsFast.Load.Engine;

namespace WsFast.Load.Scenarios.Feed;

/// <summary>
/// One receiver's view of the feed: checks each payload's sequence number against the last one received,
/// counts the gaps as lost messages, and records the fan-out latency (now minus the publish timestamp).
/// </summary>
internal sealed class FeedTracker
{
    private readonly WorkerStats _stats;
    private long _last; // the publisher numbers from 1: 0 means nothing received yet

    public FeedTracker(WorkerStats stats) => _stats = stats;

    /// <summary>Takes one delivered payload.</summary>
    public void Receive(ReadOnlySpan<byte> payload)
    {
        long now = RunClock.Now;
        if (!FeedPayload.TryParse(payload, out long sequence, out long published))
        {
            _stats.RecordError(ErrorKind.PayloadMismatch);
            return;
        }

        if (sequence <= _last)
        {
            _stats.RecordError(ErrorKind.OutOfOrder);
            return;
        }

        if (_last > 0 && sequence > _last + 1)
        {
            _stats.RecordLost(sequence - _last - 1);
        }

        _last = sequence;
        _stats.RecordDelivered(payload.Length, RunClock.ToNanoseconds(now - published));
    }
}
