namespace WsFast.Fuzz.Targets;

/// <summary>One fuzz target: runs one input through its contract checks, throwing when the contract breaks.</summary>
public delegate void FuzzTarget(ReadOnlySpan<byte> input);

/// <summary>
/// Every target by the name run.sh, the corpus folders and the tests use: the fuzzer's command line, the CI replay
/// of the corpora and the CI runs under AFL++ all take their list from here.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets by name.</summary>
    public static readonly IReadOnlyDictionary<string, FuzzTarget> ByName = new Dictionary<string, FuzzTarget>
    {
        ["frame-server"] = FrameServerTarget.Run,
        ["frame-client"] = FrameClientTarget.Run,
        ["handshake"] = HandshakeTarget.Run,
        ["utf8"] = Utf8Target.Run,
        ["hixie76"] = Hixie76Target.Run,
        ["extension-offer"] = ExtensionOfferTarget.Run,
        ["frame-server-deflate"] = FrameServerDeflateTarget.Run,
        ["frame-client-deflate"] = FrameClientDeflateTarget.Run,
        ["http-request-paths"] = HttpRequestPathsTarget.Run,
    };
}
