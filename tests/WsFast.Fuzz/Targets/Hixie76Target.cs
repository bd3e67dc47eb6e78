using System.Buffers;
using System.Text.Unicode;
using WsFast.Protocol.Hixie76;

namespace WsFast.Fuzz.Targets;

/// <summary>
/// <c>hixie76</c>: the frames a draft-76 client sends (draft-hixie-thewebsocketprotocol-76 section 5.3), read
/// by the <see cref="Hixie76FrameReader"/> whole and in pieces. The reader holds nothing back: every read
/// consumes all it is given.
/// </summary>
public static class Hixie76Target
{
    /// <summary>A small message bound, so the fuzzer reaches it with small inputs.</summary>
    public const int MaxMessage = 512;

    /// <summary>Reads <paramref name="input"/> whole and in pieces; throws <see cref="ContractViolationException"/> on a breach.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        List<string> whole = Feed(input, [Math.Max(1, input.Length)], seed: 0);
        List<string> pieces = Feed(input, Splits.Sizes(input), Splits.Seed(input));
        ContractViolationException.Check(
            whole.SequenceEqual(pieces),
            $"split changed the result\nwhole:  {string.Join(" ", whole)}\npieces: {string.Join(" ", pieces)}");
    }

    private static List<string> Feed(ReadOnlySpan<byte> input, int[] sizes, ulong seed)
    {
        var reader = new Hixie76FrameReader(MaxMessage);
        var events = new List<string>();
        var message = new List<byte>();
        int offset = 0;
        int call = 0;
        while (offset < input.Length)
        {
            int size = Math.Min(sizes[Math.Min(call, sizes.Length - 1)], input.Length - offset);
            byte[] read = input.Slice(offset, size).ToArray();
            offset += size;
            call++;
            seed = Splits.Next(seed);
            ReadOnlySequence<byte> buffer = Splits.AsSequence(read, seed);

            while (true)
            {
                Hixie76ReadStatus status;
                Hixie76Chunk chunk;
                try
                {
                    status = reader.Read(ref buffer, out chunk);
                }
                catch (Exception e)
                {
                    throw new ContractViolationException($"the draft-76 reader threw {e}");
                }

                if (status == Hixie76ReadStatus.NeedMoreData)
                {
                    ContractViolationException.Check(buffer.IsEmpty, $"the reader held back {buffer.Length} bytes");
                    break;
                }

                if (status == Hixie76ReadStatus.Close)
                {
                    events.Add("close");
                    return events;
                }

                if (status != Hixie76ReadStatus.Text)
                {
                    Hixie76Error error = reader.Error;
                    ContractViolationException.Check(
                        status == Hixie76ReadStatus.Error && error is Hixie76Error.MessageTooBig or Hixie76Error.InvalidUtf8,
                        $"status {status} with error {error}");
                    events.Add(error.ToString());
                    return events;
                }

                ContractViolationException.Check(!chunk.IsMessageStart || message.Count == 0, "a message started inside another");
                message.AddRange(chunk.Payload.ToArray());
                ContractViolationException.Check(message.Count <= MaxMessage, $"a message grew to {message.Count} bytes");
                if (chunk.IsMessageEnd)
                {
                    byte[] text = message.ToArray();
                    ContractViolationException.Check(Utf8.IsValid(text), $"text handed out with invalid UTF-8 {Convert.ToHexString(text)}");
                    events.Add($"text:{Convert.ToHexString(text)}");
                    message.Clear();
                }
            }
        }

        return events;
    }
}
