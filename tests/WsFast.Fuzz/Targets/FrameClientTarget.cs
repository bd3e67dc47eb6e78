namespace WsFast.Fuzz.Targets;

/// <summary>
/// <c>frame-client</c>: the bytes a server sends, read in the client role (as the load tool does; no frame
/// may be masked, section 5.1), with no extension negotiated.
/// </summary>
public static class FrameClientTarget
{
    /// <summary>Reads <paramref name="input"/> whole and in pieces; throws <see cref="ContractViolationException"/> on a breach.</summary>
    public static void Run(ReadOnlySpan<byte> input) => FrameStreamCheck.Run(input, isServer: false);
}
