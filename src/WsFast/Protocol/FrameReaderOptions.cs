namespace WsFast.Protocol;

/// <summary>Limits and role of a <see cref="FrameReader"/>.</summary>
internal readonly record struct FrameReaderOptions
{
    /// <summary>16 MiB: the default bound on a message and on any one frame.</summary>
    public const long DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>Creates options with the defaults: server role, 16 MiB messages and frames, no extensions.</summary>
    public FrameReaderOptions()
    {
    }

    /// <summary>The largest payload one frame may declare; larger fails with 1009.</summary>
    public long MaxFramePayload { get; init; } = DefaultMaxMessageSize;

    /// <summary>The largest total payload of a message, over all its fragments; larger fails with 1009.</summary>
    public long MaxMessagePayload { get; init; } = DefaultMaxMessageSize;

    /// <summary>
    /// True when reading a client's frames (they must be masked); false when reading a server's frames
    /// (they must not be).
    /// </summary>
    public bool IsServer { get; init; } = true;

    /// <summary>
    /// Whether a negotiated extension defines RSV1 (as permessage-deflate does for the first frame of a data
    /// message). Without one, any RSV bit fails the connection.
    /// </summary>
    public bool AllowRsv1 { get; init; }
}
