namespace WsFast.Fuzz.Targets;

/// <summary>
/// <c>frame-server</c>: the bytes a client sends after the handshake, read in the server role (every frame
/// must be masked, section 5.1), with no extension negotiated.
/// </summary>
public static class FrameServerTarget
{
    /// <summary>Reads <paramref name="input"/> whole and in pieces; throws <see cref="ContractViolationException"/> on a breach.</summary>
    public static void Run(ReadOnlySpan<byte> input) => FrameStreamCheck.Run(input, isServer: true);
}
