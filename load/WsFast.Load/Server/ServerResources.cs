namespace WsFast.Load.Server;

/// <summary>
/// The server's resources at one moment, for a soak's trend test: from /proc (resident memory, threads, file
/// descriptors) and from its <c>/healthz?details</c> (open connections, GC heap, pinned object heap). -1: not read.
/// </summary>
public sealed record ServerResources(long RssBytes, long Threads, long FileDescriptors, long Connections, long GcHeapBytes, long PinnedBytes)
{
    /// <summary>The server's full garbage collections so far (<c>gcFullCollections</c>), or -1.</summary>
    public long FullCollections { get; init; } = -1;

    /// <summary>Nothing could be read.</summary>
    public static readonly ServerResources None = new(-1, -1, -1, -1, -1, -1);
}
