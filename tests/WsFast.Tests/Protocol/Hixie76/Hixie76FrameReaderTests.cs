using System.Buffers;
using System.Text;
using WsFast.Protocol.Hixie76;

namespace WsFast.Tests.Protocol.Hixie76;

public class Hixie76FrameReaderTests
{
    private const long Max = 1024;

    private static byte[] Text(string text) => [0x00, .. Encoding.UTF8.GetBytes(text), 0xFF];

    private static string Hex(string text) => "text:" + Convert.ToHexString(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Reads_a_text_frame()
    {
        Assert.Equal([Hex("hello")], Hixie76FrameInput.ReadAll(Text("hello"), Max));
    }

    [Fact]
    public void Reads_an_empty_text_frame_as_an_empty_message()
    {
        Assert.Equal(["text:"], Hixie76FrameInput.ReadAll([0x00, 0xFF], Max));
    }

    [Fact]
    public void Reads_the_closing_handshake_and_nothing_after_it()
    {
        Assert.Equal([Hex("a"), "close"], Hixie76FrameInput.ReadAll([.. Text("a"), 0xFF, 0x00, .. Text("b")], Max));
    }

    [Fact]
    public void A_0xFF_frame_whose_length_is_zero_in_two_bytes_is_the_closing_handshake_too()
    {
        // Section 5.3: the closing handshake is a 0xFF frame of length 0, however the length is written.
        Assert.Equal(["close"], Hixie76FrameInput.ReadAll([0xFF, 0x80, 0x00], Max));
    }

    [Fact]
    public void Length_prefixed_frames_are_discarded_as_section_5_3_says()
    {
        byte[] discarded = [0x80, 0x81, 0x00, .. new byte[128]];   // type 0x80, length 1*128 + 0
        byte[] sentinel = [0x05, .. "skip"u8, 0xFF];              // a sentinel frame of a type other than 0x00
        Assert.Equal([Hex("before"), Hex("after")], Hixie76FrameInput.ReadAll([.. Text("before"), .. discarded, .. sentinel, 0xFF, 0x03, 1, 2, 3, .. Text("after")], Max));
    }

    [Fact]
    public void A_text_frame_of_exactly_the_limit_is_read_and_one_byte_more_is_refused()
    {
        string atLimit = new('x', (int)Max);
        Assert.Equal([Hex(atLimit)], Hixie76FrameInput.ReadAll(Text(atLimit), Max));
        Assert.Equal(["MessageTooBig"], Hixie76FrameInput.ReadAll(Text(atLimit + "x"), Max));
    }

    [Fact]
    public void Invalid_utf8_within_the_limit_is_reported_before_the_limit_however_the_frame_arrives()
    {
        // Found by the hixie76 fuzz target: read in one piece, a frame running past the limit was refused as too
        // big although a byte well inside the limit was already invalid; read in small pieces, as InvalidUtf8.
        byte[] frame = [0x00, .. "ab"u8, 0x80, .. new byte[Max + 10]];
        Assert.Equal(["InvalidUtf8"], Hixie76FrameInput.ReadAll(frame, Max));
        var pieces = new Hixie76FrameInput(Max);
        foreach (byte b in frame)
        {
            pieces.Feed([b]);
        }

        Assert.Equal(["InvalidUtf8"], pieces.Events);
    }

    [Fact]
    public void A_text_frame_that_never_ends_is_refused_at_the_limit_without_being_held()
    {
        var input = new Hixie76FrameInput(Max);
        input.Feed([0x00]);
        for (int i = 0; i < Max && !input.Ended; i += 100)
        {
            input.Feed(Encoding.ASCII.GetBytes(new string('y', 100)));
        }

        Assert.Equal(["MessageTooBig"], input.Events);
    }

    [Fact]
    public void A_declared_length_beyond_the_limit_is_refused_as_soon_as_its_length_bytes_say_so()
    {
        // 0x88 0x81 → 8*128 + 1 = 1025 > 1024, refused at the second length byte, before any payload.
        Assert.Equal(["MessageTooBig"], Hixie76FrameInput.ReadAll([0x80, 0x88, 0x01], Max));
        Assert.Equal(["text:"], Hixie76FrameInput.ReadAll([0x80, 0x88, 0x00, .. new byte[1024], 0x00, 0xFF], Max));
        // A length that would overflow 64 bits is refused long before it does.
        byte[] endless = [0x80, .. Enumerable.Repeat((byte)0xFF, 20)];
        Assert.Equal(["MessageTooBig"], Hixie76FrameInput.ReadAll(endless, long.MaxValue));
    }

    [Fact]
    public void A_discarded_sentinel_frame_is_bounded_by_the_limit_too()
    {
        Assert.Equal(["MessageTooBig"], Hixie76FrameInput.ReadAll([0x01, .. new byte[Max + 1]], Max));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0xC3, 0x28, 0xFF })]           // a broken two-byte sequence
    [InlineData(new byte[] { 0x00, 0xED, 0xA0, 0x80, 0xFF })]     // a surrogate
    [InlineData(new byte[] { 0x00, 0x61, 0xE2, 0x82, 0xFF })]     // ends inside a code point
    public void Invalid_utf8_is_refused(byte[] frame)
    {
        Assert.Equal(["InvalidUtf8"], Hixie76FrameInput.ReadAll(frame, Max));
    }

    [Fact]
    public void Invalid_utf8_is_refused_at_the_first_byte_that_cannot_become_valid()
    {
        var input = new Hixie76FrameInput(Max);
        input.Feed([0x00, 0x61, 0xF4]);
        Assert.Empty(input.Events);
        input.Feed([0x90]);   // F4 90: above U+10FFFF
        Assert.Equal(["InvalidUtf8"], input.Events);
    }

    [Fact]
    public void A_code_point_split_across_reads_is_valid()
    {
        var input = new Hixie76FrameInput(Max);
        input.Feed([0x00, 0xE2]);
        input.Feed([0x82]);
        input.Feed([0xAC, 0xFF]);
        Assert.Equal([Hex("€")], input.Events);
    }

    public static byte[] Stream => [.. Text("héllo"), 0x80, 0x02, 9, 9, .. Text(""), 0x07, 0x41, 0xFF, .. Text("κόσμε 😀"), 0xFF, 0x00];

    [Fact]
    public void Every_split_point_of_a_frame_stream_gives_the_same_result()
    {
        List<string> expected = Hixie76FrameInput.ReadAll(Stream, Max);
        Assert.Equal([Hex("héllo"), "text:", Hex("κόσμε 😀"), "close"], expected);
        for (int split = 1; split < Stream.Length; split++)
        {
            // Two reads, and one read whose sequence has two segments.
            var reads = new Hixie76FrameInput(Max);
            reads.Feed(Stream[..split]);
            reads.Feed(Stream[split..]);
            Assert.Equal(expected, reads.Events);

            var segments = new Hixie76FrameInput(Max);
            segments.Feed(Stream, split);
            Assert.Equal(expected, segments.Events);
        }
    }

    [Fact]
    public void Byte_by_byte_feeding_gives_the_same_result()
    {
        var input = new Hixie76FrameInput(Max);
        foreach (byte b in Stream)
        {
            input.Feed([b]);
        }

        Assert.Equal(Hixie76FrameInput.ReadAll(Stream, Max), input.Events);
    }

    [Fact]
    public void Reading_a_frame_allocates_nothing()
    {
        byte[] frames = [.. Text("hello, world"), 0x80, 0x03, 1, 2, 3];
        var reader = new Hixie76FrameReader(Max);
        ReadAllOnce(ref reader, frames);   // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            ReadAllOnce(ref reader, frames);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void ReadAllOnce(ref Hixie76FrameReader reader, byte[] frames)
        {
            var buffer = new ReadOnlySequence<byte>(frames);
            while (reader.Read(ref buffer, out _) != Hixie76ReadStatus.NeedMoreData)
            {
            }
        }
    }

    [Fact]
    public void The_writer_frames_text_and_the_closing_handshake()
    {
        var buffer = new byte[Hixie76FrameWriter.TextFrameSize(3)];
        Assert.Equal(5, Hixie76FrameWriter.WriteText(buffer, "abc"u8));
        Assert.Equal(Text("abc"), buffer);
        Assert.Equal([0xFF, 0x00], Hixie76FrameWriter.CloseFrame.ToArray());
        Assert.Equal([Hex("abc"), "close"], Hixie76FrameInput.ReadAll([.. buffer, .. Hixie76FrameWriter.CloseFrame], Max));
    }
}
