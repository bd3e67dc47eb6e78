using System.Buffers;
using System.Text.Unicode;
using WsFast.Protocol;

namespace WsFast.Fuzz.Targets;

/// <summary>
/// Feeds one byte stream to a <see cref="FrameReader"/> twice, in one read and in the pieces
/// <see cref="Splits"/> derives from it, and checks the reader's contract on the way (RFC 6455 section 5).
/// </summary>
internal static class FrameStreamCheck
{
    /// <summary>A small message bound, so the fuzzer reaches it with small inputs.</summary>
    public const int MaxMessage = 4096;

    /// <summary>Smaller than a message, so "frame too big" and "message too big" are both reachable.</summary>
    public const int MaxFrame = 1024;

    // What the reader may leave unconsumed between reads: a control frame waiting to be whole (2-byte header,
    // 4-byte key, 125 bytes), or a data frame's partial header (at most 14 bytes).
    private const int MaxPending = 2 + 4 + FrameReader.MaxControlPayload;

    public static void Run(ReadOnlySpan<byte> input, bool isServer)
    {
        var options = new FrameReaderOptions { IsServer = isServer, MaxMessagePayload = MaxMessage, MaxFramePayload = MaxFrame };
        List<string> whole = Feed(options, input, [Math.Max(1, input.Length)], seed: 0);
        List<string> pieces = Feed(options, input, Splits.Sizes(input), Splits.Seed(input));

        // Every violation is reported at the first byte that breaks it, so whatever the split the reader hands
        // out the same messages and the same error, in the same order.
        ContractViolationException.Check(
            whole.SequenceEqual(pieces),
            $"split changed the result\nwhole:  {string.Join(" ", whole)}\npieces: {string.Join(" ", pieces)}");
    }

    private static List<string> Feed(FrameReaderOptions options, ReadOnlySpan<byte> input, int[] sizes, ulong seed)
    {
        var events = new List<string>();
        var message = new List<byte>();
        Read(new FrameReader(options), input, sizes, seed, events, (in FrameChunk chunk) =>
        {
            ContractViolationException.Check(
                chunk.Opcode is Opcode.Text or Opcode.Binary && !chunk.IsCompressed,
                $"data chunk with opcode {chunk.Opcode}, compressed {chunk.IsCompressed}");
            if (chunk.IsMessageStart)
            {
                message.Clear();
            }

            message.AddRange(chunk.Payload.ToArray());
            ContractViolationException.Check(message.Count <= MaxMessage, $"a message grew to {message.Count} bytes");
            if (chunk.IsMessageEnd)
            {
                byte[] payload = message.ToArray();
                ContractViolationException.Check(
                    chunk.Opcode != Opcode.Text || Utf8.IsValid(payload),
                    $"text message handed out with invalid UTF-8 {Convert.ToHexString(payload)}");
                events.Add($"{chunk.Opcode}:{Convert.ToHexString(payload)}");
            }

            return null;
        });
        return events;
    }

    /// <summary>What a data chunk came to: null to read on, or the event that fails the connection.</summary>
    internal delegate string? DataChunkHandler(in FrameChunk chunk);

    /// <summary>
    /// Feeds <paramref name="input"/> to <paramref name="reader"/> in reads of <paramref name="sizes"/> (each a fresh,
    /// writable copy, since the reader unmasks in place, cut into segments as <paramref name="seed"/> says), and checks
    /// what the reader owes whoever reads it: only a defined error (1002, 1007 or 1009), never more left pending than
    /// a control frame, a byte consumed for every chunk, valid control frames. Control frames and the error are added
    /// to <paramref name="events"/>; data chunks go to <paramref name="onData"/>. Nothing is read after an error or an
    /// outcome of <paramref name="onData"/>: the connection is failed (RFC 6455 section 7.1.7).
    /// </summary>
    internal static void Read(FrameReader reader, ReadOnlySpan<byte> input, int[] sizes, ulong seed, List<string> events, DataChunkHandler onData)
    {
        byte[] pending = [];
        int offset = 0;
        int call = 0;
        while (offset < input.Length)
        {
            int size = Math.Min(sizes[Math.Min(call, sizes.Length - 1)], input.Length - offset);
            byte[] read = [.. pending, .. input.Slice(offset, size)];
            offset += size;
            call++;
            seed = Splits.Next(seed);
            ReadOnlySequence<byte> buffer = Splits.AsSequence(read, seed);

            while (true)
            {
                long before = buffer.Length;
                FrameReadStatus status;
                FrameChunk chunk;
                try
                {
                    status = reader.Read(ref buffer, out chunk);
                }
                catch (Exception e)
                {
                    throw new ContractViolationException($"the frame reader threw {e}");
                }

                if (status == FrameReadStatus.NeedMoreData)
                {
                    pending = buffer.ToArray();
                    ContractViolationException.Check(pending.Length <= MaxPending, $"the reader left {pending.Length} bytes pending");
                    break;
                }

                if (status == FrameReadStatus.Error)
                {
                    ProtocolError error = reader.Error;
                    ContractViolationException.Check(Enum.IsDefined(error) && error != ProtocolError.None, $"undefined error {error}");
                    int code = (int)error.ToCloseCode();
                    ContractViolationException.Check(code is 1002 or 1007 or 1009, $"{error} maps to close code {code}");
                    events.Add(error.ToString());
                    return;
                }

                ContractViolationException.Check(buffer.Length < before, $"{status} without consuming a byte");
                if (status == FrameReadStatus.Control)
                {
                    CheckControl(chunk);
                    events.Add($"{chunk.Opcode}:{Convert.ToHexString(chunk.Payload.ToArray())}");
                    continue;
                }

                if (onData(chunk) is { } outcome)
                {
                    events.Add(outcome);
                    return;
                }
            }
        }
    }

    /// <summary>A control frame handed out: whole, at most 125 bytes, and a close frame's code and reason valid.</summary>
    internal static void CheckControl(in FrameChunk chunk)
    {
        ContractViolationException.Check(
            chunk.Opcode is Opcode.Ping or Opcode.Pong or Opcode.Close && chunk.IsMessageStart && chunk.IsMessageEnd,
            $"control chunk {chunk.Opcode} start {chunk.IsMessageStart} end {chunk.IsMessageEnd}");
        ContractViolationException.Check(chunk.Payload.Length <= FrameReader.MaxControlPayload, $"control payload of {chunk.Payload.Length} bytes");
        if (chunk.Opcode == Opcode.Close && chunk.Payload.Length > 0)
        {
            // Section 5.5.1: a code the wire allows, then UTF-8.
            ContractViolationException.Check(
                chunk.Payload.Length >= 2 && CloseCodes.IsValidOnWire((ushort)chunk.CloseCode) && Utf8.IsValid(chunk.CloseReason.ToArray()),
                $"close frame handed out with payload {Convert.ToHexString(chunk.Payload.ToArray())}");
        }
    }
}
