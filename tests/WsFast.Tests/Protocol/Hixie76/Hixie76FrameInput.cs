using System.Buffers;
using WsFast.Protocol.Hixie76;
using WsFast.Tests.Support;

namespace WsFast.Tests.Protocol.Hixie76;

/// <summary>Feeds bytes to a <see cref="Hixie76FrameReader"/> the way a connection would, and records what it reads.</summary>
internal sealed class Hixie76FrameInput(long maxMessage)
{
    private Hixie76FrameReader _reader = new(maxMessage);
    private readonly List<byte> _message = [];

    /// <summary>"text:HEX", "close" and error names, in order.</summary>
    public List<string> Events { get; } = [];

    public bool Ended { get; private set; }

    /// <summary>The most bytes a message being assembled held.</summary>
    public int LargestMessage { get; private set; }

    /// <summary>Feeds one read's bytes, as a sequence cut at <paramref name="cuts"/>; the reader must consume them all.</summary>
    public void Feed(byte[] piece, params int[] cuts)
    {
        if (Ended)
        {
            return;
        }

        ReadOnlySequence<byte> buffer = Sequences.SplitAt(piece, cuts);
        while (true)
        {
            Hixie76ReadStatus status = _reader.Read(ref buffer, out Hixie76Chunk chunk);
            switch (status)
            {
                case Hixie76ReadStatus.NeedMoreData:
                    Assert.True(buffer.IsEmpty, "the reader consumes every byte it is given");
                    return;
                case Hixie76ReadStatus.Text:
                    Assert.Equal(_message.Count == 0 && chunk.IsMessageStart, chunk.IsMessageStart);
                    _message.AddRange(chunk.Payload.ToArray());
                    LargestMessage = Math.Max(LargestMessage, _message.Count);
                    if (chunk.IsMessageEnd)
                    {
                        Events.Add("text:" + Convert.ToHexString(_message.ToArray()));
                        _message.Clear();
                    }

                    continue;
                case Hixie76ReadStatus.Close:
                    Events.Add("close");
                    Ended = true;
                    return;
                default:
                    Events.Add(_reader.Error.ToString());
                    Ended = true;
                    return;
            }
        }
    }

    public static List<string> ReadAll(byte[] data, long maxMessage)
    {
        var input = new Hixie76FrameInput(maxMessage);
        input.Feed(data);
        return input.Events;
    }
}
