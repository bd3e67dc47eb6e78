using System.Buffers;
using WsFast.Protocol;

namespace WsFast.Tests.Support;

/// <summary>One thing a <see cref="FrameReader"/> produced, with message pieces joined into messages.</summary>
internal sealed record ReadEvent(string Kind, byte[] Payload, ProtocolError Error = ProtocolError.None, CloseCode CloseCode = 0)
{
    /// <summary>Payload shown as text, for readable assertions.</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Payload);

    /// <inheritdoc/>
    public override string ToString() => $"{Kind}:{Convert.ToHexString(Payload)}:{Error}:{(int)CloseCode}";
}

/// <summary>
/// Drives a <see cref="FrameReader"/> the way a pipe does: bytes arrive in pieces, the unconsumed tail is
/// kept for the next read, and every message is assembled from its chunks.
/// </summary>
internal sealed class FrameCollector
{
    private FrameReader _reader;
    private byte[] _pending = [];
    private readonly List<byte> _message = [];

    /// <summary>Creates a collector over a reader with the given options.</summary>
    public FrameCollector(FrameReaderOptions? options = null) => _reader = new FrameReader(options ?? new FrameReaderOptions());

    /// <summary>Everything produced so far, in order.</summary>
    public List<ReadEvent> Events { get; } = [];

    /// <summary>The largest number of bytes left unconsumed after any read.</summary>
    public int MaxPending { get; private set; }

    /// <summary>Number of data chunks handed out.</summary>
    public int Chunks { get; private set; }

    /// <summary>True once the reader reported a violation.</summary>
    public bool Failed => _reader.Error != ProtocolError.None;

    /// <summary>Feeds bytes as one read, optionally as a multi-segment sequence cut at <paramref name="cuts"/>.</summary>
    public void Feed(byte[] bytes, params int[] cuts)
    {
        byte[] all = [.. _pending, .. bytes];
        int shift = _pending.Length;
        int[] segmentCuts = cuts.Select(c => c + shift).Where(c => c > 0 && c < all.Length).Distinct().Order().ToArray();
        ReadOnlySequence<byte> buffer = segmentCuts.Length == 0 ? Sequences.Of(all) : Sequences.SplitAt(all, segmentCuts);

        for (int guard = 0; guard < 1_000_000; guard++)
        {
            long before = buffer.Length;
            FrameReadStatus status = _reader.Read(ref buffer, out FrameChunk chunk);
            switch (status)
            {
                case FrameReadStatus.NeedMoreData:
                    _pending = buffer.ToArray();
                    MaxPending = Math.Max(MaxPending, _pending.Length);
                    return;
                case FrameReadStatus.Error:
                    Events.Add(new ReadEvent("error", [], _reader.Error));
                    _pending = [];
                    return;
                case FrameReadStatus.Control:
                    Events.Add(new ReadEvent(chunk.Opcode.ToString().ToLowerInvariant(), chunk.Payload.ToArray(),
                        CloseCode: chunk.Opcode == Opcode.Close ? chunk.CloseCode : 0));
                    break;
                case FrameReadStatus.Data:
                    Chunks++;
                    if (chunk.IsMessageStart)
                    {
                        _message.Clear();
                    }

                    _message.AddRange(chunk.Payload.ToArray());
                    if (chunk.IsMessageEnd)
                    {
                        Events.Add(new ReadEvent(chunk.Opcode.ToString().ToLowerInvariant(), _message.ToArray()));
                    }

                    break;
            }

            if (buffer.Length == before)
            {
                throw new InvalidOperationException("the reader made no progress");
            }
        }

        throw new InvalidOperationException("the reader did not stop");
    }

    /// <summary>Feeds <paramref name="bytes"/> one byte per read.</summary>
    public void FeedByteByByte(byte[] bytes)
    {
        foreach (byte b in bytes)
        {
            if (Failed)
            {
                return;
            }

            Feed([b]);
        }
    }
}
