using System.Buffers;
using System.Text.Unicode;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;
using WsFast.Server;

namespace WsFast.Fuzz.Targets;

/// <summary>
/// Feeds one byte stream to a <see cref="FrameReader"/> that has permessage-deflate negotiated (RSV1 allowed,
/// RFC 7692 section 6) and inflates each compressed message through <see cref="ConnectionDeflate"/> into a
/// <see cref="MessageAssembler"/>, as the server's receive loop does; twice, in one read and in the pieces
/// <see cref="Splits"/> derives from it, checking the contract on the way.
/// </summary>
/// <remarks>
/// The input's first byte is the agreement, the rest is the stream: bit 0 the peer's <c>no_context_takeover</c>,
/// bits 1-3 its window (8 to 15 bits), bits 4-5 the message limit (<see cref="Limits"/>). The inflating side only
/// depends on the peer's parameters, so the client role uses the same code with the server's parameters as the peer's.
/// </remarks>
internal static class DeflateStreamCheck
{
    /// <summary>The message limits the first byte chooses from: inflated and compressed size alike, as the server sets them.</summary>
    public static readonly int[] Limits = [4096, 1000, 125, 16384];

    // zlib's inflate state (7,160 bytes for zlib 1.2.13 on LP64, rounded up) plus its window, which comes with the
    // first output: what a decompressor may hold whatever it is fed.
    private const int InflateStateBytes = 8 * 1024;

    // One pools object per process, as one endpoint's options have: decompressors rented without context go back to
    // it, so that millions of runs reuse a few instead of leaking one each.
    private static readonly PerMessageDeflateOptions Options = new();

    /// <summary>What the stream comes to, read whole: each message, control frame, and the error that ends it.</summary>
    public static IReadOnlyList<string> Run(ReadOnlySpan<byte> input, bool isServer)
    {
        if (!ZLib.IsAvailable)
        {
            throw new InvalidOperationException("no system zlib (libz.so.1): the deflate targets cannot run");
        }

        if (input.IsEmpty)
        {
            return [];
        }

        byte agreementByte = input[0];
        bool noContextTakeover = (agreementByte & 1) != 0;
        int windowBits = 8 + ((agreementByte >> 1) & 7);
        int limit = Limits[(agreementByte >> 4) & 3];
        var agreement = new DeflateAgreement(
            ServerNoContextTakeover: true,
            ClientNoContextTakeover: noContextTakeover,
            ServerMaxWindowBits: 15,
            ClientMaxWindowBits: windowBits,
            AnnounceServerWindow: false,
            AnnounceClientWindow: false);
        var options = new FrameReaderOptions { IsServer = isServer, MaxMessagePayload = limit, MaxFramePayload = limit, AllowRsv1 = true };

        ReadOnlySpan<byte> stream = input[1..];
        List<string> whole = Feed(options, agreement, limit, stream, [Math.Max(1, stream.Length)], seed: 0);
        List<string> pieces = Feed(options, agreement, limit, stream, Splits.Sizes(stream), Splits.Seed(stream));

        // Inflating goes as far as the compressed bytes allow at every read, so the messages and the error are
        // the same whatever the split: for every stream that keeps to the agreed window.
        if (!whole.SequenceEqual(pieces))
        {
            // zlib refuses a match reaching back beyond its window plus what the current inflate call has written,
            // so a peer that breaks the agreed window (RFC 7692 section 7.1.2) is refused with 1007 or inflated
            // right depending on how its bytes arrived. That alone may differ: each result is then the one a
            // decompressor with the largest window (15 bits, bounded by the data written so far alone) gives, or
            // a prefix of it cut short by 1007.
            DeflateAgreement widest = agreement with { ClientMaxWindowBits = 15 };
            List<string> reference = Feed(options, widest, limit, stream, [Math.Max(1, stream.Length)], seed: 0);
            ContractViolationException.Check(
                agreement.ClientMaxWindowBits < 15 && IsReferenceOrCutShort(whole, reference) && IsReferenceOrCutShort(pieces, reference),
                $"split changed the result\nwhole:  {string.Join(" ", whole)}\npieces: {string.Join(" ", pieces)}\nwidest window: {string.Join(" ", reference)}");
        }

        return whole;
    }

    // The widest window's result, or a part of it then 1007: the refused message may be one still arriving, with
    // control frames or the end of the stream after its refused part in the widest window's result.
    private static bool IsReferenceOrCutShort(List<string> events, List<string> reference)
    {
        if (events.SequenceEqual(reference))
        {
            return true;
        }

        int cut = events.Count - 1;
        return cut >= 0 && cut <= reference.Count && events[cut] == "1007 InvalidData"
            && events.Take(cut).SequenceEqual(reference.Take(cut));
    }

    private static List<string> Feed(
        FrameReaderOptions options, DeflateAgreement agreement, int limit, ReadOnlySpan<byte> input, int[] sizes, ulong seed)
    {
        var reader = new FrameReader(options);
        var deflate = new ConnectionDeflate(agreement, Options);
        var assembler = new MessageAssembler(poison: false);
        var events = new List<string>();
        try
        {
            FrameStreamCheck.Read(reader, input, sizes, seed, events, (in FrameChunk chunk) =>
            {
                ContractViolationException.Check(chunk.Opcode is Opcode.Text or Opcode.Binary, $"data chunk with opcode {chunk.Opcode}");
                return chunk.IsCompressed
                    ? OnCompressed(deflate, ref assembler, chunk, limit, events)
                    : OnUncompressed(ref assembler, chunk, limit, events);
            });
            return events;
        }
        finally
        {
            deflate.Dispose();
            assembler.Release();
        }
    }

    // As WebSocketConnection.OnCompressedData: inflated into the assembler within the limit as each piece arrives.
    private static string? OnCompressed(ConnectionDeflate deflate, ref MessageAssembler assembler, in FrameChunk chunk, int limit, List<string> events)
    {
        if (chunk.IsMessageStart)
        {
            ContractViolationException.Check(assembler.Length == 0, $"a message starts with {assembler.Length} bytes assembled");
            ContractViolationException.Check(deflate.StartMessage(chunk.Opcode == Opcode.Text), "no decompressor with zlib present");
        }

        InflateOutcome outcome;
        try
        {
            outcome = deflate.Inflate(chunk.Payload, ref assembler, limit);
            if (outcome == InflateOutcome.Ok && chunk.IsMessageEnd)
            {
                outcome = deflate.Finish(ref assembler, limit);
            }
        }
        catch (Exception e)
        {
            throw new ContractViolationException($"inflating threw {e}");
        }

        CheckHeld(deflate, assembler, limit);
        if (outcome != InflateOutcome.Ok)
        {
            ContractViolationException.Check(Enum.IsDefined(outcome), $"undefined outcome {outcome}");
            // Section 7.2.2 of RFC 7692 with RFC 6455 section 7.4.1: a bomb is 1009 (never inflated past the limit
            // by more than the one byte that tells), data that does not inflate or is not UTF-8 is 1007.
            ContractViolationException.Check(
                outcome != InflateOutcome.TooBig || assembler.Length == limit + 1,
                $"too big with {assembler.Length} bytes inflated for a limit of {limit}");
            deflate.EndMessage();
            assembler.Release();
            return outcome switch
            {
                InflateOutcome.TooBig => "1009 TooBig",
                InflateOutcome.InvalidData => "1007 InvalidData",
                _ => "1007 InvalidUtf8",
            };
        }

        ContractViolationException.Check(assembler.Length <= limit, $"{assembler.Length} bytes inflated for a limit of {limit}");
        if (chunk.IsMessageEnd)
        {
            EndMessage(ref assembler, chunk.Opcode, compressed: true, events);
            ContractViolationException.Check(
                deflate.HeldBytes == 0 || !deflate.Agreement.ClientNoContextTakeover,
                $"a decompressor of {deflate.HeldBytes} bytes held after a message without context takeover");
        }

        return null;
    }

    private static string? OnUncompressed(ref MessageAssembler assembler, in FrameChunk chunk, int limit, List<string> events)
    {
        if (chunk.IsMessageStart)
        {
            ContractViolationException.Check(assembler.Length == 0, $"a message starts with {assembler.Length} bytes assembled");
        }

        assembler.Append(chunk.Payload);
        ContractViolationException.Check(assembler.Length <= limit, $"a message grew to {assembler.Length} bytes");
        if (chunk.IsMessageEnd)
        {
            EndMessage(ref assembler, chunk.Opcode, compressed: false, events);
        }

        return null;
    }

    private static void EndMessage(ref MessageAssembler assembler, Opcode opcode, bool compressed, List<string> events)
    {
        byte[] payload = assembler.Message.ToArray();
        ContractViolationException.Check(
            opcode != Opcode.Text || Utf8.IsValid(payload),
            $"text message handed out with invalid UTF-8 {Convert.ToHexString(payload)}");
        events.Add($"{opcode}{(compressed ? "+deflate" : "")}:{Convert.ToHexString(payload)}");
        assembler.Reset();
    }

    // Nothing held beyond the bounds: the assembler's buffer is the pool's rounding of at most the limit plus one
    // byte, the decompressor its state and window.
    private static void CheckHeld(ConnectionDeflate deflate, in MessageAssembler assembler, int limit)
    {
        ContractViolationException.Check(
            assembler.HeldBytes <= Math.Max(4096, 2 * (limit + 1)),
            $"the assembler holds {assembler.HeldBytes} bytes for a limit of {limit}");
        long bound = InflateStateBytes + (1L << deflate.Agreement.ClientMaxWindowBits);
        ContractViolationException.Check(deflate.HeldBytes <= bound, $"the decompressor holds {deflate.HeldBytes} bytes, over {bound}");
    }
}
