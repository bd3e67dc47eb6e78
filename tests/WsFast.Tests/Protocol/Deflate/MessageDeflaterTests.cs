using System.Buffers;
using System.Text;
using WsFast.Protocol.Deflate;
using WsFast.Tests.Support;

namespace WsFast.Tests.Protocol.Deflate;

/// <summary>RFC 7692 section 7.2.1 and the examples of 7.2.3, as a sender produces them.</summary>
public class MessageDeflaterTests
{
    private static byte[] Compress(MessageDeflater deflater, byte[] payload)
    {
        byte[] output = new byte[payload.Length + 64]; // room for a message that grows
        int length = deflater.Compress(new ReadOnlySequence<byte>(payload), output);
        Assert.True(length >= 0);
        return output.AsSpan(0, length).ToArray();
    }

    [Fact]
    public void Section_7_2_3_1_Hello_compressed_is_f2_48_cd_c9_c9_07_00()
    {
        using MessageDeflater deflater = MessageDeflater.Create(6, 15, 8, keepsContext: false)!;
        Assert.Equal([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], Compress(deflater, "Hello"u8.ToArray()));
    }

    [Fact]
    public void Section_7_2_3_2_with_context_takeover_the_second_Hello_refers_back_to_the_first()
    {
        using MessageDeflater deflater = MessageDeflater.Create(6, 15, 8, keepsContext: true)!;
        Assert.Equal([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], Compress(deflater, "Hello"u8.ToArray()));
        Assert.Equal([0xf2, 0x00, 0x11, 0x00, 0x00], Compress(deflater, "Hello"u8.ToArray()));
    }

    [Fact]
    public void Section_7_2_3_2_without_context_takeover_every_Hello_stands_alone()
    {
        using MessageDeflater deflater = MessageDeflater.Create(6, 15, 8, keepsContext: false)!;
        Assert.Equal([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], Compress(deflater, "Hello"u8.ToArray()));
        Assert.Equal([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], Compress(deflater, "Hello"u8.ToArray()));
    }

    [Fact]
    public void Data_that_does_not_shrink_is_reported_so_that_it_goes_uncompressed()
    {
        var random = new Random(7);
        byte[] noise = new byte[1000];
        random.NextBytes(noise);
        using MessageDeflater deflater = MessageDeflater.Create(6, 15, 8, keepsContext: true)!;
        byte[] output = new byte[MessageDeflater.MaxOutput(noise.Length)];
        Assert.Equal(-1, deflater.Compress(new ReadOnlySequence<byte>(noise), output));

        // The abandoned attempt left nothing behind for the next message to refer to.
        Assert.Equal([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], Compress(deflater, "Hello"u8.ToArray()));
    }

    [Fact]
    public void A_payload_in_several_segments_compresses_like_one()
    {
        byte[] json = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"price\":101.25,\"symbol\":\"ABC\"},", 40)));
        using MessageDeflater whole = MessageDeflater.Create(6, 15, 8, keepsContext: false)!;
        using MessageDeflater pieces = MessageDeflater.Create(6, 15, 8, keepsContext: false)!;
        ReadOnlySequence<byte> split = Sequences.SplitAt(json, 1, 100, 333, 700);
        byte[] output = new byte[json.Length + 64];
        int length = pieces.Compress(split, output);
        Assert.Equal(Compress(whole, json), output.AsSpan(0, length).ToArray());
        Assert.True(length < json.Length / 4);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(12)]
    public void Section_7_1_2_1_an_agreed_server_window_is_never_exceeded(int bits)
    {
        // A text whose repetitions are all further apart than the window: an inflater with exactly that window
        // decodes every message only if no match refers back beyond it.
        var random = new Random(bits);
        byte[] block = new byte[1 << bits];
        random.NextBytes(block);
        byte[] payload = [.. block, .. block, .. block.AsSpan(0, 100)];
        using MessageDeflater deflater = MessageDeflater.Create(9, bits, 9, keepsContext: true)!;
        using MessageInflater inflater = MessageInflater.Create(bits)!;
        for (int round = 0; round < 3; round++)
        {
            byte[] compressed = Compress(deflater, payload);
            Assert.Equal(payload, InflaterTests.InflateMessage(inflater, compressed));
        }

        // And text that does compress within the window.
        byte[] text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("abcdefgh", 200)));
        Assert.Equal(text, InflaterTests.InflateMessage(inflater, Compress(deflater, text)));
    }
}
