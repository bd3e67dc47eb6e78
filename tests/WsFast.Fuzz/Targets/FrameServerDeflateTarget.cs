namespace WsFast.Fuzz.Targets;

/// <summary>
/// <c>frame-server-deflate</c>: the bytes a client sends after agreeing to permessage-deflate (RFC 7692), read in
/// the server role and inflated within the message limit. The first byte chooses the client's agreed window and
/// context takeover and the limit (<see cref="DeflateStreamCheck"/>).
/// </summary>
public static class FrameServerDeflateTarget
{
    /// <summary>Reads and inflates <paramref name="input"/> whole and in pieces; throws <see cref="ContractViolationException"/> on a breach.</summary>
    public static void Run(ReadOnlySpan<byte> input) => DeflateStreamCheck.Run(input, isServer: true);
}
