namespace WsFast.Server;

/// <summary>
/// Where a client left a topic: <c>epoch:sequence</c>, as Server-Sent Events ids, poll answers and WebSocket
/// envelopes give it, or a bare sequence number (the form before epochs, taken to mean the current epoch).
/// </summary>
/// <param name="Epoch">The topic's epoch the sequence number belongs to; 0 for a bare sequence number.</param>
/// <param name="Sequence">The last sequence number the client has.</param>
internal readonly record struct TopicCursor(long Epoch, long Sequence)
{
    /// <summary>
    /// Parses <c>E:N</c> or <c>N</c>: digits only, each at most 18 of them (no sign, space or exponent), so
    /// that every accepted cursor is one the server could have written.
    /// </summary>
    public static bool TryParse(string? text, out TopicCursor cursor)
    {
        cursor = default;
        if (text is null)
        {
            return false;
        }

        int colon = text.IndexOf(':');
        if (colon < 0)
        {
            if (!HttpRouter.TryParseSequence(text, out long bare))
            {
                return false;
            }

            cursor = new TopicCursor(0, bare);
            return true;
        }

        if (!HttpRouter.TryParseSequence(text[..colon], out long epoch) || epoch == 0
            || !HttpRouter.TryParseSequence(text[(colon + 1)..], out long sequence))
        {
            return false;
        }

        cursor = new TopicCursor(epoch, sequence);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => Epoch == 0 ? $"{Sequence}" : $"{Epoch}:{Sequence}";
}
