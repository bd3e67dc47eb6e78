namespace WsFast.Protocol.Hixie76;

/// <summary>What <see cref="Hixie76FrameReader.Read"/> found at the front of the buffer.</summary>
internal enum Hixie76ReadStatus : byte
{
    /// <summary>Everything given was consumed (frames discarded, or nothing yet): read more bytes.</summary>
    NeedMoreData = 0,
    /// <summary>A piece of a text message; see <see cref="Hixie76Chunk"/>.</summary>
    Text,
    /// <summary>The client's closing handshake, <c>0xFF 0x00</c> (section 5.3). Nothing after it is read.</summary>
    Close,
    /// <summary>A violation of the reader's limits; see <see cref="Hixie76FrameReader.Error"/>. Nothing after it is read.</summary>
    Error,
}
