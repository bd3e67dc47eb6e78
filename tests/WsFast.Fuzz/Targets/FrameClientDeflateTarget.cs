namespace WsFast.Fuzz.Targets;

/// <summary>
/// <c>frame-client-deflate</c>: the bytes a server sends after agreeing to permessage-deflate (RFC 7692), read in
/// the client role (no frame masked) and inflated within the message limit. The first byte chooses the server's
/// agreed window and context takeover and the limit (<see cref="DeflateStreamCheck"/>).
/// </summary>
public static class FrameClientDeflateTarget
{
    /// <summary>Reads and inflates <paramref name="input"/> whole and in pieces; throws <see cref="ContractViolationException"/> on a breach.</summary>
    public static void Run(ReadOnlySpan<byte> input) => DeflateStreamCheck.Run(input, isServer: false);
}
