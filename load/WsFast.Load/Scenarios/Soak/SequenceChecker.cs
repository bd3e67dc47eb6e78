namespace WsFast.Load.Scenarios.Soak;

/// <summary>
/// The loss and order detector of one subscriber: takes the feed's sequence numbers as they arrive and counts
/// every number skipped (lost) and every number at or below one already seen (reordered or repeated). The
/// publisher numbers each topic's messages 1, 2, 3, ..., so a subscriber that is sent everything sees them one by one.
/// </summary>
/// <remarks>
/// A subscriber that cannot resume (a plain WebSocket subscription) calls <see cref="Restart"/> at each new
/// connection: what went past while it was away is not its loss. One that resumes with a cursor (an event
/// stream's <c>Last-Event-ID</c>, a poll's <c>after</c>) keeps its checker, so a message lost across the reconnect
/// shows as a gap. Only the subscriber's own flow calls it; other threads may read the totals (64-bit reads).
/// </remarks>
public sealed class SequenceChecker
{
    private long _last; // the publisher numbers from 1: 0 means nothing received since the (re)start

    /// <summary>Sequence numbers checked.</summary>
    public long Checked { get; private set; }

    /// <summary>Sequence numbers skipped: messages lost.</summary>
    public long Lost { get; private set; }

    /// <summary>Sequence numbers at or below the last one: messages out of order or delivered twice.</summary>
    public long Reordered { get; private set; }

    /// <summary>The last sequence number accepted, or 0.</summary>
    public long Last => _last;

    /// <summary>Checks <paramref name="sequence"/>; true when it is the next one expected (or the first).</summary>
    public bool Check(long sequence)
    {
        Checked++;
        if (_last == 0)
        {
            _last = sequence;
            return true;
        }

        if (sequence <= _last)
        {
            Reordered++;
            return false;
        }

        bool next = sequence == _last + 1;
        if (!next)
        {
            Lost += sequence - _last - 1;
        }

        _last = sequence;
        return next;
    }

    /// <summary>Forgets the last number (a new subscription that cannot resume); the totals stay.</summary>
    public void Restart() => _last = 0;
}
