using WsFast.Protocol.Deflate;

namespace WsFast.Tests.Protocol.Deflate;

/// <summary>RFC 7692 section 7.2.2 and the examples of 7.2.3, as a receiver decodes them.</summary>
public class InflaterTests
{
    /// <summary>Inflates one message's payload and its appended tail, as section 7.2.2 says.</summary>
    internal static byte[] InflateMessage(MessageInflater inflater, byte[] payload, bool resetAfter = false)
    {
        var output = new List<byte>();
        Feed(inflater, payload, output);
        Feed(inflater, MessageDeflater.Tail, output);
        if (resetAfter || inflater.Ended)
        {
            inflater.Reset();
        }

        return [.. output];
    }

    private static void Feed(MessageInflater inflater, ReadOnlySpan<byte> input, List<byte> output)
    {
        Span<byte> space = stackalloc byte[7]; // small on purpose: output arrives in many pieces
        while (true)
        {
            InflateStatus status = inflater.Inflate(input, space, out int consumed, out int written);
            Assert.NotEqual(InflateStatus.Invalid, status);
            output.AddRange(space[..written].ToArray());
            input = input[consumed..];
            if (status == InflateStatus.End || (input.IsEmpty && written < space.Length))
            {
                return;
            }
        }
    }

    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    [Fact]
    public void Section_7_2_3_1_a_message_compressed_in_one_frame()
    {
        using MessageInflater inflater = MessageInflater.Create(15)!;
        Assert.Equal("Hello", Text(InflateMessage(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])));
    }

    [Fact]
    public void Section_7_2_3_2_the_second_Hello_takes_over_the_first_ones_window()
    {
        using MessageInflater inflater = MessageInflater.Create(15)!;
        Assert.Equal("Hello", Text(InflateMessage(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])));
        Assert.Equal("Hello", Text(InflateMessage(inflater, [0xf2, 0x00, 0x11, 0x00, 0x00])));
    }

    [Fact]
    public void Section_7_2_3_2_after_a_reset_a_reference_to_the_earlier_message_is_invalid()
    {
        using MessageInflater inflater = MessageInflater.Create(15)!;
        InflateMessage(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], resetAfter: true);
        byte[] output = new byte[64];
        byte[] second = [0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff];
        Assert.Equal(InflateStatus.Invalid, inflater.Inflate(second, output, out _, out _));
    }

    [Fact]
    public void Section_7_2_3_3_a_stored_block_with_no_compression()
    {
        using MessageInflater inflater = MessageInflater.Create(15)!;
        byte[] payload = [0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00];
        Assert.Equal("Hello", Text(InflateMessage(inflater, payload)));
    }

    [Fact]
    public void Section_7_2_3_4_a_block_with_BFINAL_set_ends_the_stream_and_what_follows_is_ignored()
    {
        using MessageInflater inflater = MessageInflater.Create(15)!;
        Assert.Equal("Hello", Text(InflateMessage(inflater, [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00])));

        // The next message starts a new stream.
        Assert.Equal("Hello", Text(InflateMessage(inflater, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])));
    }

    [Fact]
    public void Section_7_2_3_5_two_DEFLATE_blocks_in_one_message()
    {
        using MessageInflater inflater = MessageInflater.Create(15)!;
        byte[] payload = [0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00];
        Assert.Equal("Hello", Text(InflateMessage(inflater, payload)));
    }

    [Fact]
    public void Data_that_is_not_DEFLATE_is_invalid()
    {
        using MessageInflater inflater = MessageInflater.Create(15)!;
        byte[] output = new byte[64];
        // BTYPE 11 is reserved (RFC 1951 section 3.2.3).
        Assert.Equal(InflateStatus.Invalid, inflater.Inflate([0xff, 0xff, 0xff, 0xff], output, out _, out _));
    }

    [Fact]
    public void A_bomb_inflates_only_as_far_as_the_output_space_given()
    {
        // 10 MiB of zeros compress to ~10 KiB; the inflater writes no more than the caller's space at a time.
        byte[] zeros = new byte[10 * 1024 * 1024];
        using MessageDeflater deflater = MessageDeflater.Create(9, 15, 9, keepsContext: false)!;
        byte[] compressed = new byte[MessageDeflater.MaxOutput(zeros.Length)];
        int length = deflater.Compress(new System.Buffers.ReadOnlySequence<byte>(zeros), compressed);
        Assert.InRange(length, 1, 20 * 1024);

        using MessageInflater inflater = MessageInflater.Create(15)!;
        byte[] space = new byte[4096];
        InflateStatus status = inflater.Inflate(compressed.AsSpan(0, length), space, out int consumed, out int written);
        Assert.Equal(InflateStatus.Progress, status);
        Assert.Equal(space.Length, written);
        Assert.True(consumed < length);
    }

    [Fact]
    public void A_match_beyond_the_agreed_window_is_refused_once_what_it_refers_to_left_the_window_and_never_inflated_wrong()
    {
        // 600 random bytes twice, compressed with a 32 KiB window: the second half is one match 600 bytes back,
        // beyond the 256 bytes a peer that agreed to a window of 8 bits may refer to (RFC 7692 section 7.1.2.2).
        byte[] noise = new byte[600];
        new Random(7692).NextBytes(noise);
        byte[] twice = [.. noise, .. noise];
        using MessageDeflater deflater = MessageDeflater.Create(6, 15, 8, keepsContext: false)!;
        byte[] compressed = new byte[MessageDeflater.MaxOutput(twice.Length)];
        compressed = compressed[..deflater.Compress(twice, compressed)];

        // zlib checks a distance against its window plus what the current call has written: with the whole
        // message written by one call, the match is inside that output and inflates right.
        using (MessageInflater inflater = MessageInflater.Create(8)!)
        {
            byte[] output = new byte[2048];
            InflateStatus status = inflater.Inflate(compressed, output, out _, out int written);
            Assert.NotEqual(InflateStatus.Invalid, status);
            Assert.Equal(twice, output[..written]);
        }

        // Written in pieces, the first half has left the 256-byte window when the match comes: refused, the
        // connection failed with 1007. Which of the two a peer breaking the agreement gets depends on how its bytes
        // arrive (the frame-server-deflate fuzz target found this); it never gets wrong bytes or more memory held.
        using (MessageInflater inflater = MessageInflater.Create(8)!)
        {
            byte[] output = new byte[100];
            ReadOnlySpan<byte> input = compressed;
            var inflated = new List<byte>();
            InflateStatus status;
            do
            {
                status = inflater.Inflate(input, output, out int consumed, out int written);
                inflated.AddRange(output[..written]);
                input = input[consumed..];
            }
            while (status == InflateStatus.Progress);

            Assert.Equal(InflateStatus.Invalid, status);
            Assert.Equal(twice[..inflated.Count], inflated);
        }
    }
}
