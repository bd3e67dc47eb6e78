using System.Buffers;
using System.Text;
using WsFast.Protocol;

namespace WsFast.Tests.Protocol;

public class FrameWriterTests
{
    private static readonly byte[] Hello = "Hello"u8.ToArray();

    private static byte[] Write(Func<byte[], int> write)
    {
        byte[] buffer = new byte[70_000];
        int written = write(buffer);
        return buffer.AsSpan(0, written).ToArray();
    }

    private static byte[] Append(Action<ArrayBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] Pattern(int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + 3);
        }

        return bytes;
    }

    private static byte[] Concat(byte[] head, byte[] tail) => [.. head, .. tail];

    // RFC 6455 section 5.7: the unmasked examples, byte for byte.

    [Fact]
    public void SingleFrameUnmaskedText()
    {
        Assert.Equal(new byte[] { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f }, Write(b => FrameWriter.WriteText(b, Hello)));
    }

    [Fact]
    public void FragmentedUnmaskedText()
    {
        Assert.Equal(new byte[] { 0x01, 0x03, 0x48, 0x65, 0x6c }, Write(b => FrameWriter.WriteText(b, "Hel"u8, fin: false)));
        Assert.Equal(new byte[] { 0x80, 0x02, 0x6c, 0x6f }, Write(b => FrameWriter.WriteContinuation(b, "lo"u8)));
    }

    [Fact]
    public void UnmaskedPingAndPong()
    {
        Assert.Equal(new byte[] { 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f }, Write(b => FrameWriter.WritePing(b, Hello)));
        Assert.Equal(new byte[] { 0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f }, Write(b => FrameWriter.WritePong(b, Hello)));
    }

    [Fact]
    public void Binary256BytesUses16BitLength()
    {
        byte[] payload = Pattern(256);
        Assert.Equal(Concat([0x82, 0x7E, 0x01, 0x00], payload), Write(b => FrameWriter.WriteBinary(b, payload)));
    }

    [Fact]
    public void Binary64KiBUses64BitLength()
    {
        byte[] payload = Pattern(65536);
        Assert.Equal(
            Concat([0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00], payload),
            Write(b => FrameWriter.WriteBinary(b, payload)));
    }

    [Theory]
    [InlineData(0, new byte[] { 0x82, 0x00 })]
    [InlineData(125, new byte[] { 0x82, 0x7D })]
    [InlineData(126, new byte[] { 0x82, 0x7E, 0x00, 0x7E })]
    [InlineData(65535, new byte[] { 0x82, 0x7E, 0xFF, 0xFF })]
    [InlineData(65536, new byte[] { 0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 })]
    public void LengthEncodingBoundaries(int length, byte[] header)
    {
        Assert.Equal(header.Length, FrameWriter.HeaderSize(length));
        byte[] payload = Pattern(length);
        Assert.Equal(Concat(header, payload), Write(b => FrameWriter.WriteBinary(b, payload)));
    }

    [Fact]
    public void HeaderOfHugeLengthsUses64Bits()
    {
        Span<byte> header = stackalloc byte[FrameWriter.MaxHeaderSize];
        Assert.Equal(10, FrameWriter.WriteHeader(header, Opcode.Binary, 0x0123_4567_89AB_CDEF));
        Assert.Equal(new byte[] { 0x82, 0x7F, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF }, header.ToArray());

        Assert.Equal(10, FrameWriter.WriteHeader(header, Opcode.Binary, long.MaxValue));
        Assert.Equal(new byte[] { 0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, header.ToArray());
    }

    [Fact]
    public void HeaderSizeRejectsNegativeLengths()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.HeaderSize(-1));
    }

    [Fact]
    public void Rsv1IsSetOnTheFirstDataFrameOnly()
    {
        Assert.Equal(new byte[] { 0xC1, 0x00 }, Write(b => FrameWriter.WriteText(b, default, rsv1: true)));
        Assert.Equal(new byte[] { 0x42, 0x00 }, Write(b => FrameWriter.WriteBinary(b, default, fin: false, rsv1: true)));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeader(new byte[10], Opcode.Continuation, 0, rsv1: true));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeader(new byte[10], Opcode.Ping, 0, rsv1: true));
    }

    [Fact]
    public void CloseWithCodeAndReason()
    {
        Assert.Equal(
            new byte[] { 0x88, 0x05, 0x03, 0xE8, (byte)'b', (byte)'y', (byte)'e' },
            Write(b => FrameWriter.WriteClose(b, CloseCode.NormalClosure, "bye"u8)));
        Assert.Equal(
            new byte[] { 0x88, 0x05, 0x03, 0xE8, (byte)'b', (byte)'y', (byte)'e' },
            Write(b => FrameWriter.WriteClose(b, CloseCode.NormalClosure, "bye")));
    }

    [Fact]
    public void CloseWithCodeOnly()
    {
        Assert.Equal(new byte[] { 0x88, 0x02, 0x03, 0xE9 }, Write(b => FrameWriter.WriteClose(b, CloseCode.GoingAway)));
        Assert.Equal(new byte[] { 0x88, 0x02, 0x0F, 0xA0 }, Write(b => FrameWriter.WriteClose(b, (CloseCode)4000, "")));
    }

    [Fact]
    public void CloseWithoutCodeHasAnEmptyPayload()
    {
        Assert.Equal(new byte[] { 0x88, 0x00 }, Write(b => FrameWriter.WriteClose(b)));
    }

    [Fact]
    public void CloseReasonIsEncodedAsUtf8()
    {
        byte[] expected = Concat([0x88, 0x07, 0x03, 0xF0], "caf\u00e9"u8.ToArray());
        Assert.Equal(expected, Write(b => FrameWriter.WriteClose(b, CloseCode.PolicyViolation, "caf\u00e9")));
    }

    [Fact]
    public void CloseReasonMustFitWithTheCode()
    {
        string longest = new('r', FrameWriter.MaxCloseReasonLength);
        Assert.Equal(2 + 125, Write(b => FrameWriter.WriteClose(b, CloseCode.NormalClosure, longest)).Length);

        Assert.Throws<ArgumentException>(() => FrameWriter.WriteClose(new byte[200], CloseCode.NormalClosure, longest + "r"));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteClose(new byte[200], CloseCode.NormalClosure, new byte[124]));

        // 62 two-byte characters take 124 bytes though the string has only 62 chars.
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteClose(new byte[200], CloseCode.NormalClosure, new string('\u00e9', 62)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(2999)]
    [InlineData(5000)]
    public void CloseCodeMustBeValidOnTheWire(int code)
    {
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteClose(new byte[10], (CloseCode)code));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteClose(new byte[10], (CloseCode)code, "x"));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteFrame(new byte[10], Opcode.Close, [(byte)(code >> 8), (byte)code]));
    }

    [Fact]
    public void CloseReasonMustBeUtf8()
    {
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteClose(new byte[10], CloseCode.NormalClosure, [0xC0, 0x80]));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteFrame(new byte[10], Opcode.Close, [0x03, 0xE8, 0xFF]));
    }

    [Fact]
    public void ClosePayloadOfOneByteIsRejected()
    {
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteFrame(new byte[10], Opcode.Close, [0x03]));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeader(new byte[10], Opcode.Close, 1));
    }

    [Theory]
    [InlineData((byte)Opcode.Ping)]
    [InlineData((byte)Opcode.Pong)]
    [InlineData((byte)Opcode.Close)]
    public void ControlFrameOver125BytesIsRejected(byte rawOpcode)
    {
        var opcode = (Opcode)rawOpcode;
        byte[] payload = Pattern(126);
        payload[0] = 0x03;
        payload[1] = 0xE8;
        byte[] destination = new byte[200];

        Assert.Throws<ArgumentException>(() => FrameWriter.WriteFrame(destination, opcode, payload));
        Assert.Throws<ArgumentException>(() => FrameWriter.TryWriteFrame(destination, opcode, payload, out _));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteFrame(new ArrayBufferWriter<byte>(), opcode, payload));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeader(destination, opcode, 126));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeaderBefore(destination, 10, opcode, 126));
    }

    [Fact]
    public void PingOver125BytesIsRejected()
    {
        Assert.Throws<ArgumentException>(() => FrameWriter.WritePing(new byte[200], new byte[126]));
        Assert.Throws<ArgumentException>(() => FrameWriter.WritePong(new ArrayBufferWriter<byte>(), new byte[126]));
        Assert.Equal(127, FrameWriter.WritePing(new byte[200], new byte[125]));
    }

    [Theory]
    [InlineData((byte)Opcode.Ping)]
    [InlineData((byte)Opcode.Pong)]
    [InlineData((byte)Opcode.Close)]
    public void ControlFrameMustHaveFin(byte rawOpcode)
    {
        var opcode = (Opcode)rawOpcode;
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteFrame(new byte[10], opcode, default, fin: false));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeader(new byte[10], opcode, 0, fin: false));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(15)]
    [InlineData(16)]
    public void ReservedOpcodeIsRejected(int opcode)
    {
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeader(new byte[10], (Opcode)opcode, 0));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteFrame(new byte[10], (Opcode)opcode, default));
    }

    [Fact]
    public void TooSmallDestinationThrowsOrReportsFalse()
    {
        byte[] destination = new byte[6];
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteText(destination, Hello));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeader(new byte[3], Opcode.Binary, 126));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteClose(new byte[5], CloseCode.NormalClosure, "bye"u8));

        Assert.False(FrameWriter.TryWriteFrame(destination, Opcode.Text, Hello, out int written));
        Assert.Equal(0, written);
        Assert.All(destination, b => Assert.Equal(0, b));

        Assert.True(FrameWriter.TryWriteFrame(new byte[7], Opcode.Text, Hello, out written));
        Assert.Equal(7, written);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void BufferWriterPathEqualsSpanPath(int length)
    {
        byte[] payload = Pattern(length);
        Assert.Equal(Write(b => FrameWriter.WriteText(b, payload)), Append(w => FrameWriter.WriteText(w, payload)));
        Assert.Equal(Write(b => FrameWriter.WriteText(b, payload, fin: false, rsv1: true)), Append(w => FrameWriter.WriteText(w, payload, fin: false, rsv1: true)));
        Assert.Equal(Write(b => FrameWriter.WriteBinary(b, payload)), Append(w => FrameWriter.WriteBinary(w, payload)));
        Assert.Equal(Write(b => FrameWriter.WriteContinuation(b, payload, fin: false)), Append(w => FrameWriter.WriteContinuation(w, payload, fin: false)));
        Assert.Equal(Write(b => FrameWriter.WriteFrame(b, Opcode.Binary, payload)), Append(w => FrameWriter.WriteFrame(w, Opcode.Binary, payload)));
    }

    [Fact]
    public void BufferWriterPathEqualsSpanPathForControlFrames()
    {
        Assert.Equal(Write(b => FrameWriter.WritePing(b, Hello)), Append(w => FrameWriter.WritePing(w, Hello)));
        Assert.Equal(Write(b => FrameWriter.WritePong(b, Hello)), Append(w => FrameWriter.WritePong(w, Hello)));
        Assert.Equal(Write(b => FrameWriter.WriteClose(b)), Append(w => FrameWriter.WriteClose(w)));
        Assert.Equal(Write(b => FrameWriter.WriteClose(b, CloseCode.GoingAway)), Append(w => FrameWriter.WriteClose(w, CloseCode.GoingAway)));
        Assert.Equal(Write(b => FrameWriter.WriteClose(b, CloseCode.NormalClosure, "bye"u8)), Append(w => FrameWriter.WriteClose(w, CloseCode.NormalClosure, "bye"u8)));
        Assert.Equal(Write(b => FrameWriter.WriteClose(b, CloseCode.NormalClosure, "bye")), Append(w => FrameWriter.WriteClose(w, CloseCode.NormalClosure, "bye")));
    }

    [Fact]
    public void BufferWriterAppendsAfterWhatIsThere()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteText(writer, "Hel"u8, fin: false);
        FrameWriter.WritePing(writer, Hello);
        FrameWriter.WriteContinuation(writer, "lo"u8);
        byte[] expected = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x80, 0x02, 0x6c, 0x6f];
        Assert.Equal(expected, writer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void HeaderBeforePayloadEqualsRegularPath(int length)
    {
        byte[] payload = Pattern(length);
        byte[] expected = Write(b => FrameWriter.WriteText(b, payload));

        // Room for the largest header: the frame starts wherever its header does.
        byte[] buffer = new byte[FrameWriter.MaxHeaderSize + length];
        payload.CopyTo(buffer, FrameWriter.MaxHeaderSize);
        int start = FrameWriter.WriteHeaderBefore(buffer, FrameWriter.MaxHeaderSize, Opcode.Text, length);
        Assert.Equal(FrameWriter.MaxHeaderSize - FrameWriter.HeaderSize(length), start);
        Assert.Equal(expected, buffer.AsSpan(start).ToArray());

        // Room for exactly this header: the frame starts at 0.
        int headerSize = FrameWriter.HeaderSize(length);
        byte[] exact = new byte[headerSize + length];
        payload.CopyTo(exact, headerSize);
        Assert.Equal(0, FrameWriter.WriteHeaderBefore(exact, headerSize, Opcode.Text, length));
        Assert.Equal(expected, exact);

        // WriteHeader in front of a payload already in place.
        byte[] inPlace = new byte[headerSize + length];
        payload.CopyTo(inPlace, headerSize);
        Assert.Equal(headerSize, FrameWriter.WriteHeader(inPlace, Opcode.Text, length));
        Assert.Equal(expected, inPlace);
    }

    [Fact]
    public void HeaderBeforeKeepsFlags()
    {
        byte[] buffer = new byte[12];
        int start = FrameWriter.WriteHeaderBefore(buffer, 10, Opcode.Binary, 2, fin: false, rsv1: true);
        Assert.Equal(8, start);
        Assert.Equal(new byte[] { 0x42, 0x02 }, buffer.AsSpan(8, 2).ToArray());
    }

    [Fact]
    public void HeaderBeforeNeedsRoomAndAPayloadInsideTheBuffer()
    {
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeaderBefore(new byte[200], 3, Opcode.Binary, 126));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeaderBefore(new byte[10], 1, Opcode.Binary, 0));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHeaderBefore(new byte[10], 4, Opcode.Binary, 7));
        Assert.Equal(2, FrameWriter.WriteHeaderBefore(new byte[10], 4, Opcode.Binary, 6));
    }

    [Fact]
    public void WritingAFrameDoesNotAllocate()
    {
        byte[] destination = new byte[256];
        byte[] payload = Pattern(100);
        FrameWriter.WriteText(destination, payload);
        FrameWriter.WriteClose(destination, CloseCode.GoingAway, "server shutting down");

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            FrameWriter.WriteText(destination, payload);
            FrameWriter.WriteHeader(destination, Opcode.Binary, 70_000);
            FrameWriter.WriteClose(destination, CloseCode.GoingAway, "server shutting down");
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void TextPayloadIsNotValidated()
    {
        // A fragment may end inside a code point; the writer leaves UTF-8 to the caller.
        byte[] euroStart = Encoding.UTF8.GetBytes("\u20ac").AsSpan(0, 2).ToArray();
        Assert.Equal(new byte[] { 0x01, 0x02, 0xE2, 0x82 }, Write(b => FrameWriter.WriteText(b, euroStart, fin: false)));
    }
}
