namespace WsFast.Protocol;

/// <summary>What one call to <see cref="FrameReader.Read"/> produced.</summary>
internal enum FrameReadStatus : byte
{
    /// <summary>Nothing more can be decoded until more bytes arrive.</summary>
    NeedMoreData,
    /// <summary>A piece of a text or binary message's payload, unmasked (and, for text, valid so far).</summary>
    Data,
    /// <summary>A whole ping, pong or close frame, unmasked and validated.</summary>
    Control,
    /// <summary>The peer broke the protocol: see <see cref="FrameReader.Error"/>. Nothing more will be read.</summary>
    Error,
}
