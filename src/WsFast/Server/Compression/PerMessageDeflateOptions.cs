using WsFast.Protocol.Deflate;
using WsFast.Server;

namespace WsFast;

/// <summary>
/// How an endpoint negotiates and uses permessage-deflate (RFC 7692). The defaults keep no compression state
/// between messages on either side, so an idle connection holds none: compressors are borrowed for one message,
/// and a topic compresses each message once for all its subscribers.
/// </summary>
/// <remarks>
/// Deflate needs the system's zlib (<c>libz.so.1</c> on Linux, <c>libz.1.dylib</c> on macOS); without it the
/// offer is declined and connections run uncompressed.
/// </remarks>
public sealed class PerMessageDeflateOptions
{
    /// <summary>zlib's compression level, 1 (fastest) to 9 (smallest). Default 6, zlib's own default.</summary>
    public int CompressionLevel { get; set; } = 6;

    /// <summary>
    /// zlib's memory level, 1 to 9: the size of the compressor's hash tables. Default 5: 38 KiB per compressor
    /// with the default window, against 150 KiB at zlib's default of 8, for 1 KiB JSON the same size within 1%.
    /// </summary>
    public int MemoryLevel { get; set; } = 5;

    /// <summary>
    /// The server's compression window, 9 to 15 (2^bits bytes, announced as <c>server_max_window_bits</c>, or less
    /// when the client asks). Default 12 (4 KiB): messages refer back at most 4 KiB, and the client's decompressor
    /// needs no larger window.
    /// </summary>
    public int ServerMaxWindowBits { get; set; } = 12;

    /// <summary>
    /// The window a client is asked to compress within, 9 to 15, when it offers <c>client_max_window_bits</c>
    /// (browsers do); a client that does not offer it may use 15. The server's decompressor holds 7 KiB plus the
    /// window while a compressed message arrives. Default 12 (4 KiB, 11 KiB per decompressor against 39 KiB at 15):
    /// without context takeover, only messages above 4 KiB compress any worse for it. A client that refers back
    /// further than it agreed is closed with 1007 when the bytes it refers to are no longer held; zlib still holds
    /// them when they came out of the same inflate call, so such a client's message may also be inflated, rightly.
    /// </summary>
    public int ClientMaxWindowBits { get; set; } = 12;

    /// <summary>
    /// Whether the server's compressor keeps its context between the messages of a connection (better ratios for
    /// similar messages, at the cost of a compressor held per connection, ~38 KiB, released after
    /// <see cref="IdleRelease"/> without a send). Default false: the response always carries
    /// <c>server_no_context_takeover</c>, which also lets a topic's compressed frame serve every subscriber.
    /// A client that asks for <c>server_no_context_takeover</c> gets it either way.
    /// </summary>
    public bool ServerContextTakeover { get; set; }

    /// <summary>
    /// Whether a client may keep its compressor's context between messages. The server's decompressor must then
    /// be kept for the connection's life (7 KiB plus the window, ~40 KiB). Default false: the response always
    /// carries <c>client_no_context_takeover</c>, and a decompressor is held only while a message arrives.
    /// </summary>
    public bool ClientContextTakeover { get; set; }

    /// <summary>Messages shorter than this are sent uncompressed: below it deflate saves little and costs CPU. Default 64.</summary>
    public int MinimumMessageSize { get; set; } = 64;

    /// <summary>
    /// With <see cref="ServerContextTakeover"/>, whether broadcasts and publishes to a subscriber that kept context
    /// are compressed by its own compressor (one compression per subscriber) rather than sent uncompressed. Default
    /// false. Subscribers without context always share the topic's one compressed frame.
    /// </summary>
    public bool CompressBroadcastsPerConnection { get; set; }

    /// <summary>
    /// The most compressors in use at once for this endpoint's connections; a send that finds none free goes
    /// uncompressed rather than wait (RFC 7692 lets any message be sent uncompressed). Default 4 per processor.
    /// </summary>
    public int MaxConcurrentCompressions { get; set; } = 4 * Environment.ProcessorCount;

    /// <summary>How long a connection's own compressor (<see cref="ServerContextTakeover"/>) is kept without a send. Default 10 s.</summary>
    public TimeSpan IdleRelease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The pools of compressors and decompressors of the endpoints using these options.</summary>
    internal CompressorPools Pools
    {
        get
        {
            // Made by the first connection that needs it; every later one must see the same pools.
            if (field is null)
            {
                Interlocked.CompareExchange(ref field, new CompressorPools(this), null);
            }

            return field;
        }
    }

    internal DeflatePolicy Policy => new(ServerMaxWindowBits, ClientMaxWindowBits, ServerContextTakeover, ClientContextTakeover);

    /// <summary>Throws when a setting is out of range.</summary>
    internal void Validate()
    {
        var check = new OptionsCheck();
        Check(check.Section(nameof(WsFastServerOptions.PerMessageDeflate)));
        check.ThrowIfAny();
    }

    internal void Check(OptionsCheck check)
    {
        check.Range(CompressionLevel, 1, 9, nameof(CompressionLevel));
        check.Range(MemoryLevel, 1, 9, nameof(MemoryLevel));
        check.Range(ServerMaxWindowBits, 9, 15, nameof(ServerMaxWindowBits));
        check.Range(ClientMaxWindowBits, 9, 15, nameof(ClientMaxWindowBits));
        check.AtLeast(MinimumMessageSize, 1, nameof(MinimumMessageSize));
        check.AtLeast(MaxConcurrentCompressions, 1, nameof(MaxConcurrentCompressions));
        check.Positive(IdleRelease, nameof(IdleRelease));
    }
}
