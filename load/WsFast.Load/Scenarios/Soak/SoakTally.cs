using System.Collections.Concurrent;

namespace WsFast.Load.Scenarios.Soak;

/// <summary>
/// The soak's rare events, shared by every client: reconnects by kind, and every way a connection ended or was
/// refused (close codes, HTTP statuses, failures), each either expected or not. Nothing here is counted per
/// message: the clients count those themselves.
/// </summary>
public sealed class SoakTally
{
    private const int KeptExamples = 20;

    private readonly long[] _reconnects = new long[Enum.GetValues<DisconnectKind>().Length];
    private readonly ConcurrentDictionary<(string Outcome, bool Expected), long> _outcomes = new();
    private readonly ConcurrentQueue<string> _examples = new();
    private long _unexpected;
    private long _slowConsumerCloses;

    /// <summary>Reconnects done after a disconnect of <paramref name="kind"/>.</summary>
    public long Reconnects(DisconnectKind kind) => Volatile.Read(ref _reconnects[(int)kind]);

    /// <summary>Reconnects of every kind.</summary>
    public long TotalReconnects
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _reconnects.Length; i++)
            {
                total += Volatile.Read(ref _reconnects[i]);
            }

            return total;
        }
    }

    /// <summary>Outcomes nobody expected: a close code or status the run did not ask for, a failure.</summary>
    public long Unexpected => Volatile.Read(ref _unexpected);

    /// <summary>Slow consumers ended by the server (their expected outcome).</summary>
    public long SlowConsumerCloses => Volatile.Read(ref _slowConsumerCloses);

    /// <summary>Every outcome seen, with whether it was expected, and how often.</summary>
    public IReadOnlyList<(string Outcome, bool Expected, long Count)> Outcomes =>
        [.. _outcomes.OrderBy(o => o.Key.Expected).ThenByDescending(o => o.Value).Select(o => (o.Key.Outcome, o.Key.Expected, o.Value))];

    /// <summary>The first unexpected outcomes with their details, for the report.</summary>
    public IReadOnlyList<string> Examples => [.. _examples];

    /// <summary>Counts one reconnect after a disconnect of <paramref name="kind"/>.</summary>
    public void Reconnected(DisconnectKind kind) => Interlocked.Increment(ref _reconnects[(int)kind]);

    /// <summary>Counts an outcome the run expects (such as the server's 1000 answering a client's close).</summary>
    public void Expected(string outcome) => _outcomes.AddOrUpdate((outcome, true), 1, static (_, n) => n + 1);

    /// <summary>Counts a slow consumer's end by the server: expected, and counted apart.</summary>
    public void SlowConsumerClosed(string outcome)
    {
        Interlocked.Increment(ref _slowConsumerCloses);
        Expected(outcome);
    }

    /// <summary>Counts an outcome that fails the run, keeping the first few <paramref name="detail"/>s.</summary>
    public void Unexpect(string outcome, string detail)
    {
        Interlocked.Increment(ref _unexpected);
        _outcomes.AddOrUpdate((outcome, false), 1, static (_, n) => n + 1);
        if (_examples.Count < KeptExamples)
        {
            _examples.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {outcome}: {detail}");
        }
    }
}
