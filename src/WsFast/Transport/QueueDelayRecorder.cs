namespace WsFast.Transport;

/// <summary>
/// Told how long each buffer waited in a connection's outbound queue: from being queued to the start of the send
/// that carried it. The transport reads the clock at enqueue only while <see cref="Enabled"/>, so a connection
/// nobody measures pays one flag check per buffer.
/// </summary>
internal abstract class QueueDelayRecorder
{
    /// <summary>Whether anything listens now.</summary>
    public abstract bool Enabled { get; }

    /// <summary>A buffer queued at <paramref name="queuedAt"/> starts going out at <paramref name="now"/> (<see cref="System.Diagnostics.Stopwatch"/> timestamps).</summary>
    public abstract void Record(long queuedAt, long now);
}
