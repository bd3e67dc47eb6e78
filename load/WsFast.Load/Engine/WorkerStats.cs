namespace WsFast.Load.Engine;

/// <summary>
/// The statistics of one worker (one client). Only that worker writes them, so nothing here locks; the
/// runner merges every worker's statistics with <see cref="Add"/> once the run is over.
/// </summary>
/// <remarks>
/// Messages, bytes and latencies count only inside the measurement window; errors count over the whole run,
/// since a failure while connecting matters as much as one while measuring. <see cref="TotalReceived"/>
/// counts always: it feeds the live progress, which reads it from another thread.
/// </remarks>
public sealed class WorkerStats
{
    private readonly RunClock? _clock;
    private readonly long[] _errors = new long[Enum.GetValues<ErrorKind>().Length];
    private long _totalReceived;

    /// <summary>Creates statistics gated by <paramref name="clock"/>'s window; without a clock every event counts.</summary>
    public WorkerStats(RunClock? clock = null)
    {
        _clock = clock;
    }

    /// <summary>Latency of each message received in the window, in ns.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Messages sent in the window.</summary>
    public long MessagesSent { get; private set; }

    /// <summary>Messages received in the window.</summary>
    public long MessagesReceived { get; private set; }

    /// <summary>Bytes sent on the wire in the window: whole frames, or whole HTTP requests with their heads.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Bytes received on the wire in the window: whole frames, or HTTP response heads, bodies and framing.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Payload bytes of the messages received (delivered) in the window: what the application sees.</summary>
    public long PayloadBytesReceived { get; private set; }

    /// <summary>Messages of a feed that never arrived: gaps in the sequence numbers received in the window.</summary>
    public long MessagesLost { get; private set; }

    /// <summary>Paced slots skipped in the window because they were already too late to send.</summary>
    public long SlotsMissed { get; private set; }

    /// <summary>Data messages received in the window that came compressed (permessage-deflate, RSV1).</summary>
    public long CompressedReceived { get; private set; }

    /// <summary>Clients whose server agreed to permessage-deflate (over the whole run, like errors).</summary>
    public long DeflateClients { get; private set; }

    /// <summary>The <c>Sec-WebSocket-Extensions</c> a server agreed to, as the first such client read it; null when none did.</summary>
    public string? DeflateAgreement { get; private set; }

    /// <summary>Clients that connected over TLS (over the whole run, like errors).</summary>
    public long TlsClients { get; private set; }

    /// <summary>The TLS protocol and cipher suite a server agreed to, as the first TLS client read it; null without TLS.</summary>
    public string? TlsAgreement { get; private set; }

    /// <summary>Messages received over the whole run; safe to read from another thread.</summary>
    public long TotalReceived => Volatile.Read(ref _totalReceived);

    private bool Counting => _clock is null || _clock.IsMeasuring;

    /// <summary>The number of errors of <paramref name="kind"/>.</summary>
    public long Errors(ErrorKind kind) => _errors[(int)kind];

    /// <summary>All errors, of any kind.</summary>
    public long TotalErrors => _errors.Sum();

    /// <summary>Counts one message of <paramref name="frameBytes"/> bytes sent.</summary>
    public void RecordSent(int frameBytes)
    {
        if (Counting)
        {
            MessagesSent++;
            BytesSent += frameBytes;
        }
    }

    /// <summary>
    /// Counts one message of <paramref name="frameBytes"/> bytes on the wire, <paramref name="payloadBytes"/> of
    /// them payload, received after <paramref name="latencyNanoseconds"/>.
    /// </summary>
    public void RecordReceived(int frameBytes, int payloadBytes, long latencyNanoseconds)
    {
        RecordBytesReceived(frameBytes);
        RecordDelivered(payloadBytes, latencyNanoseconds);
    }

    /// <summary>
    /// Counts one message of <paramref name="payloadBytes"/> delivered after <paramref name="latencyNanoseconds"/>,
    /// for transports whose wire bytes do not line up with messages (they count them with <see cref="RecordBytesReceived"/>).
    /// </summary>
    public void RecordDelivered(int payloadBytes, long latencyNanoseconds)
    {
        Volatile.Write(ref _totalReceived, _totalReceived + 1);
        if (Counting)
        {
            MessagesReceived++;
            PayloadBytesReceived += payloadBytes;
            Latency.Record(latencyNanoseconds);
        }
    }

    /// <summary>Counts <paramref name="bytes"/> received on the wire, whatever they carried.</summary>
    public void RecordBytesReceived(int bytes)
    {
        if (Counting)
        {
            BytesReceived += bytes;
        }
    }

    /// <summary>Counts <paramref name="bytes"/> sent on the wire that are not a message of their own (a pong, a close).</summary>
    public void RecordBytesSent(int bytes)
    {
        if (Counting)
        {
            BytesSent += bytes;
        }
    }

    /// <summary>Counts one data message received compressed (besides counting it as received).</summary>
    public void RecordCompressed()
    {
        if (Counting)
        {
            CompressedReceived++;
        }
    }

    /// <summary>Counts a client whose server agreed to permessage-deflate with <paramref name="agreement"/>.</summary>
    public void RecordDeflate(string agreement)
    {
        DeflateClients++;
        DeflateAgreement ??= agreement;
    }

    /// <summary>Counts a client that connected over TLS with <paramref name="agreement"/> (protocol and cipher suite).</summary>
    public void RecordTls(string agreement)
    {
        TlsClients++;
        TlsAgreement ??= agreement;
    }

    /// <summary>Counts <paramref name="count"/> feed messages that were skipped over (a gap in the sequence).</summary>
    public void RecordLost(long count)
    {
        if (Counting)
        {
            MessagesLost += count;
        }
    }

    /// <summary>Counts <paramref name="count"/> paced slots skipped for lateness.</summary>
    public void RecordMissed(long count)
    {
        if (Counting)
        {
            SlotsMissed += count;
        }
    }

    /// <summary>Counts one error of <paramref name="kind"/>.</summary>
    public void RecordError(ErrorKind kind) => _errors[(int)kind]++;

    /// <summary>Adds another worker's error counts, and nothing else, to these.</summary>
    public void AddErrors(WorkerStats other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < _errors.Length; i++)
        {
            _errors[i] += other._errors[i];
        }
    }

    /// <summary>Adds another worker's statistics to these.</summary>
    public void Add(WorkerStats other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Latency.Add(other.Latency);
        MessagesSent += other.MessagesSent;
        MessagesReceived += other.MessagesReceived;
        BytesSent += other.BytesSent;
        BytesReceived += other.BytesReceived;
        PayloadBytesReceived += other.PayloadBytesReceived;
        MessagesLost += other.MessagesLost;
        SlotsMissed += other.SlotsMissed;
        CompressedReceived += other.CompressedReceived;
        DeflateClients += other.DeflateClients;
        DeflateAgreement ??= other.DeflateAgreement;
        TlsClients += other.TlsClients;
        TlsAgreement ??= other.TlsAgreement;
        _totalReceived += other._totalReceived;
        for (int i = 0; i < _errors.Length; i++)
        {
            _errors[i] += other._errors[i];
        }
    }
}
