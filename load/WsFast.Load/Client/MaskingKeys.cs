namespace WsFast.Load.Client;

/// <summary>
/// Masking keys for client frames: a xorshift generator seeded from the system's secure source, one per
/// connection. RFC 6455 asks for unpredictable keys to defeat cache poisoning by hostile pages; a load
/// client only needs keys that vary per frame, as a server cannot tell the difference, and this costs a few
/// instructions instead of a call into the system's generator.
/// </summary>
internal struct MaskingKeys
{
    private uint _state;

    public MaskingKeys()
    {
        _state = (uint)Random.Shared.Next(1, int.MaxValue);
    }

    /// <summary>The next key (never zero, so every frame is visibly masked).</summary>
    public uint Next()
    {
        uint x = _state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _state = x;
        return x;
    }
}
