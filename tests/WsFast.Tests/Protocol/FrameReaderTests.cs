using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Support;

namespace WsFast.Tests.Protocol;

/// <summary>RFC 6455 section 5: base framing, fragmentation and control frames, as read by a server.</summary>
public class FrameReaderTests
{
    private static readonly byte[] Hello = "Hello"u8.ToArray();

    private static List<ReadEvent> Read(byte[] input, FrameReaderOptions? options = null)
    {
        var collector = new FrameCollector(options);
        collector.Feed(input);
        return collector.Events;
    }

    private static ReadEvent SingleError(byte[] input, FrameReaderOptions? options = null)
    {
        List<ReadEvent> events = Read(input, options);
        return Assert.Single(events, e => e.Kind == "error");
    }

    // Section 5.7: the examples, byte for byte.

    [Fact]
    public void Section_5_7_a_single_frame_masked_text_message_contains_Hello()
    {
        byte[] frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        ReadEvent message = Assert.Single(Read(frame));
        Assert.Equal("text", message.Kind);
        Assert.Equal("Hello", message.Text);
    }

    [Fact]
    public void Section_5_7_a_single_frame_unmasked_text_message_is_read_by_a_client()
    {
        byte[] frame = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        ReadEvent message = Assert.Single(Read(frame, new FrameReaderOptions { IsServer = false }));
        Assert.Equal("Hello", message.Text);
    }

    [Fact]
    public void Section_5_7_a_fragmented_unmasked_text_message_is_one_message()
    {
        byte[] input = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
        ReadEvent message = Assert.Single(Read(input, new FrameReaderOptions { IsServer = false }));
        Assert.Equal("Hello", message.Text);
    }

    [Fact]
    public void Section_5_7_unmasked_ping_and_masked_pong_carry_Hello()
    {
        byte[] ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        Assert.Equal(new ReadEvent("ping", Hello).ToString(), Assert.Single(Read(ping, new FrameReaderOptions { IsServer = false })).ToString());

        byte[] pong = [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        Assert.Equal(new ReadEvent("pong", Hello).ToString(), Assert.Single(Read(pong)).ToString());
    }

    [Fact]
    public void Section_5_7_256_bytes_binary_in_a_single_unmasked_frame_uses_a_16_bit_length()
    {
        byte[] payload = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        byte[] frame = [0x82, 0x7E, 0x01, 0x00, .. payload];
        ReadEvent message = Assert.Single(Read(frame, new FrameReaderOptions { IsServer = false }));
        Assert.Equal("binary", message.Kind);
        Assert.Equal(payload, message.Payload);
    }

    [Fact]
    public void Section_5_7_64KiB_binary_in_a_single_unmasked_frame_uses_a_64_bit_length()
    {
        byte[] payload = Enumerable.Range(0, 65536).Select(i => (byte)(i * 7)).ToArray();
        byte[] frame = [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, .. payload];
        ReadEvent message = Assert.Single(Read(frame, new FrameReaderOptions { IsServer = false }));
        Assert.Equal(payload, message.Payload);
    }

    // Section 5.4: fragmentation, and control frames in the middle of a fragmented message.

    [Fact]
    public void Section_5_4_control_frames_may_be_injected_in_the_middle_of_a_fragmented_message()
    {
        byte[] input = ClientFrames.Concat(
            ClientFrames.Text("He", fin: false),
            ClientFrames.Frame(Opcode.Ping, "p"u8),
            ClientFrames.Frame(Opcode.Continuation, "l"u8, fin: false),
            ClientFrames.Frame(Opcode.Pong, ""u8),
            ClientFrames.Frame(Opcode.Continuation, "lo"u8));
        string[] events = Read(input).Select(e => $"{e.Kind}:{e.Text}").ToArray();
        Assert.Equal(["ping:p", "pong:", "text:Hello"], events);
    }

    [Fact]
    public void Section_5_4_empty_frames_make_empty_and_fragmented_messages()
    {
        byte[] input = ClientFrames.Concat(
            ClientFrames.Frame(Opcode.Binary, []),
            ClientFrames.Frame(Opcode.Text, [], fin: false),
            ClientFrames.Frame(Opcode.Continuation, [], fin: false),
            ClientFrames.Frame(Opcode.Continuation, "x"u8));
        Assert.Equal(["binary:", "text:x"], Read(input).Select(e => $"{e.Kind}:{e.Text}"));
    }

    [Fact]
    public void Section_5_4_a_continuation_with_no_message_started_fails_with_1002()
    {
        ReadEvent error = SingleError(ClientFrames.Frame(Opcode.Continuation, "x"u8));
        Assert.Equal(ProtocolError.UnexpectedContinuation, error.Error);
        Assert.Equal(CloseCode.ProtocolError, error.Error.ToCloseCode());
    }

    [Theory]
    [InlineData((byte)Opcode.Text)]
    [InlineData((byte)Opcode.Binary)]
    public void Section_5_4_a_new_data_frame_inside_a_fragmented_message_fails_with_1002(byte rawOpcode)
    {
        var opcode = (Opcode)rawOpcode;
        byte[] input = ClientFrames.Concat(ClientFrames.Text("a", fin: false), ClientFrames.Frame(opcode, "b"u8));
        ReadEvent error = SingleError(input);
        Assert.Equal(ProtocolError.ExpectedContinuation, error.Error);
        Assert.Equal(CloseCode.ProtocolError, error.Error.ToCloseCode());
    }

    // Section 5.1 and 5.2: masking, reserved bits, reserved opcodes, lengths.

    [Fact]
    public void Section_5_1_a_server_fails_an_unmasked_client_frame_with_1002()
    {
        ReadEvent error = SingleError(ClientFrames.Frame(Opcode.Text, Hello, masked: false));
        Assert.Equal(ProtocolError.UnmaskedFrame, error.Error);
        Assert.Equal(CloseCode.ProtocolError, error.Error.ToCloseCode());
    }

    [Fact]
    public void Section_5_1_a_client_fails_a_masked_server_frame_with_1002()
    {
        ReadEvent error = SingleError(ClientFrames.Frame(Opcode.Text, Hello), new FrameReaderOptions { IsServer = false });
        Assert.Equal(ProtocolError.MaskedFrame, error.Error);
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x20)]
    [InlineData(0x10)]
    [InlineData(0x70)]
    public void Section_5_2_RSV_bits_without_a_negotiated_extension_fail_with_1002(int rsv)
    {
        ReadEvent error = SingleError(ClientFrames.Frame(Opcode.Text, Hello, firstByte: 0x81 | rsv));
        Assert.Equal(ProtocolError.ReservedBitsSet, error.Error);
        Assert.Equal(CloseCode.ProtocolError, error.Error.ToCloseCode());
    }

    [Fact]
    public void RFC_7692_RSV1_is_allowed_only_on_the_first_frame_of_a_data_message_when_negotiated()
    {
        var options = new FrameReaderOptions { AllowRsv1 = true };
        Assert.Equal("text", Assert.Single(Read(ClientFrames.Frame(Opcode.Text, Hello, firstByte: 0xC1), options)).Kind);
        Assert.Equal(ProtocolError.ReservedBitsSet, SingleError(ClientFrames.Frame(Opcode.Ping, Hello, firstByte: 0xC9), options).Error);
        byte[] continuation = ClientFrames.Concat(ClientFrames.Text("a", fin: false), ClientFrames.Frame(Opcode.Continuation, Hello, firstByte: 0xC0));
        Assert.Equal(ProtocolError.ReservedBitsSet, SingleError(continuation, options).Error);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    public void Section_5_2_reserved_opcodes_fail_with_1002_as_soon_as_the_first_byte_arrives(int opcode)
    {
        var collector = new FrameCollector();
        collector.Feed([(byte)(0x80 | opcode)]);
        ReadEvent error = Assert.Single(collector.Events);
        Assert.Equal(ProtocolError.ReservedOpcode, error.Error);
        Assert.Equal(CloseCode.ProtocolError, error.Error.ToCloseCode());
    }

    [Fact]
    public void Section_5_2_a_64_bit_length_with_the_top_bit_set_fails_with_1002()
    {
        byte[] header = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, .. ClientFrames.RfcKey];
        var collector = new FrameCollector(new FrameReaderOptions { MaxFramePayload = long.MaxValue, MaxMessagePayload = long.MaxValue });
        collector.Feed(header[..3]);
        Assert.Equal(ProtocolError.PayloadLengthTopBitSet, Assert.Single(collector.Events).Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void Section_5_2_every_length_encoding_reads_its_payload(int length)
    {
        byte[] payload = Enumerable.Range(0, length).Select(i => (byte)(i % 251)).ToArray();
        ReadEvent message = Assert.Single(Read(ClientFrames.Frame(Opcode.Binary, payload)));
        Assert.Equal(payload, message.Payload);
    }

    // Section 5.5: control frames.

    [Theory]
    [InlineData((byte)Opcode.Ping)]
    [InlineData((byte)Opcode.Pong)]
    [InlineData((byte)Opcode.Close)]
    public void Section_5_5_control_frames_over_125_bytes_fail_with_1002(byte rawOpcode)
    {
        var opcode = (Opcode)rawOpcode;
        byte[] payload = new byte[126];
        payload[0] = 0x03;
        payload[1] = 0xE8;
        Assert.Equal(ProtocolError.ControlFrameTooLong, SingleError(ClientFrames.Frame(opcode, payload)).Error);
    }

    [Fact]
    public void Section_5_5_a_control_frame_of_exactly_125_bytes_is_accepted()
    {
        byte[] payload = Enumerable.Repeat((byte)'p', 125).ToArray();
        Assert.Equal(payload, Assert.Single(Read(ClientFrames.Frame(Opcode.Ping, payload))).Payload);
    }

    [Theory]
    [InlineData((byte)Opcode.Ping)]
    [InlineData((byte)Opcode.Pong)]
    [InlineData((byte)Opcode.Close)]
    public void Section_5_5_fragmented_control_frames_fail_with_1002(byte rawOpcode)
    {
        var opcode = (Opcode)rawOpcode;
        Assert.Equal(ProtocolError.FragmentedControlFrame, SingleError(ClientFrames.Frame(opcode, [], fin: false)).Error);
    }

    // Section 5.5.1 and 7.4: close frames.

    [Fact]
    public void Section_5_5_1_a_close_frame_may_carry_no_body_and_reports_1005()
    {
        ReadEvent close = Assert.Single(Read(ClientFrames.Frame(Opcode.Close, [])));
        Assert.Equal(CloseCode.NoStatusReceived, close.CloseCode);
    }

    [Fact]
    public void Section_5_5_1_a_close_frame_carries_a_code_and_a_UTF8_reason()
    {
        ReadEvent close = Assert.Single(Read(ClientFrames.Close(1000, "bye — ✓")));
        Assert.Equal(CloseCode.NormalClosure, close.CloseCode);
        Assert.Equal("bye — ✓", Encoding.UTF8.GetString(close.Payload[2..]));
    }

    [Fact]
    public void Section_5_5_1_a_one_byte_close_payload_fails_with_1002()
    {
        ReadEvent error = SingleError(ClientFrames.Frame(Opcode.Close, [0x03]));
        Assert.Equal(ProtocolError.ClosePayloadTooShort, error.Error);
        Assert.Equal(CloseCode.ProtocolError, error.Error.ToCloseCode());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(1100)]
    [InlineData(2000)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void Section_7_4_close_codes_that_must_not_appear_on_the_wire_fail_with_1002(int code)
    {
        ReadEvent error = SingleError(ClientFrames.Close((ushort)code));
        Assert.Equal(ProtocolError.InvalidCloseCode, error.Error);
        Assert.Equal(CloseCode.ProtocolError, error.Error.ToCloseCode());
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(1012)]
    [InlineData(1013)]
    [InlineData(1014)]
    [InlineData(3000)]
    [InlineData(3999)]
    [InlineData(4000)]
    [InlineData(4999)]
    public void Section_7_4_defined_and_registered_close_codes_are_accepted(int code)
    {
        Assert.Equal((CloseCode)code, Assert.Single(Read(ClientFrames.Close((ushort)code))).CloseCode);
    }

    [Fact]
    public void Section_5_5_1_a_close_reason_that_is_not_UTF8_fails_with_1007()
    {
        byte[] payload = [0x03, 0xE8, 0xCE, 0xBA, 0xED, 0xA0, 0x80];
        ReadEvent error = SingleError(ClientFrames.Frame(Opcode.Close, payload));
        Assert.Equal(ProtocolError.InvalidCloseReason, error.Error);
        Assert.Equal(CloseCode.InvalidPayloadData, error.Error.ToCloseCode());
    }

    // Section 8.1: text must be UTF-8, validated as it arrives.

    [Fact]
    public void Section_8_1_invalid_UTF8_fails_with_1007_at_the_first_byte_that_can_no_longer_become_valid()
    {
        // κόσμε, then a UTF-16 surrogate (ED A0 80), then "edited": the A0 byte can never be valid.
        byte[] payload = [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64];
        byte[] frame = ClientFrames.Frame(Opcode.Text, payload);
        int headerSize = frame.Length - payload.Length;
        int a0 = headerSize + Array.IndexOf(payload, (byte)0xA0);

        var collector = new FrameCollector();
        for (int i = 0; i < frame.Length && !collector.Failed; i++)
        {
            collector.Feed([frame[i]]);
            Assert.Equal(i >= a0, collector.Failed);
        }

        ReadEvent error = Assert.Single(collector.Events);
        Assert.Equal(ProtocolError.InvalidUtf8, error.Error);
        Assert.Equal(CloseCode.InvalidPayloadData, error.Error.ToCloseCode());
    }

    [Fact]
    public void Section_8_1_invalid_UTF8_fails_before_the_frame_is_complete()
    {
        byte[] payload = [.. "ok"u8, 0xF4, 0x90, .. new byte[1000]];
        byte[] frame = ClientFrames.Frame(Opcode.Text, payload);
        var collector = new FrameCollector();
        collector.Feed(frame[..(frame.Length - 1000)]);
        Assert.Equal(ProtocolError.InvalidUtf8, Assert.Single(collector.Events).Error);
    }

    [Fact]
    public void Section_8_1_a_code_point_split_across_two_fragments_is_valid()
    {
        byte[] euro = "€"u8.ToArray(); // E2 82 AC
        byte[] input = ClientFrames.Concat(
            ClientFrames.Frame(Opcode.Text, euro[..1], fin: false),
            ClientFrames.Frame(Opcode.Continuation, euro[1..2], fin: false),
            ClientFrames.Frame(Opcode.Continuation, euro[2..]));
        Assert.Equal("€", Assert.Single(Read(input)).Text);
    }

    [Fact]
    public void Section_8_1_a_message_ending_inside_a_code_point_fails_with_1007()
    {
        byte[] input = ClientFrames.Concat(
            ClientFrames.Frame(Opcode.Text, [0xE2, 0x82], fin: false),
            ClientFrames.Frame(Opcode.Continuation, []));
        Assert.Equal(ProtocolError.InvalidUtf8, SingleError(input).Error);
    }

    [Fact]
    public void Binary_messages_are_not_UTF8_validated()
    {
        byte[] payload = [0xFF, 0xED, 0xA0, 0x80, 0xC0];
        Assert.Equal(payload, Assert.Single(Read(ClientFrames.Frame(Opcode.Binary, payload))).Payload);
    }

    // Limits: 1009.

    [Fact]
    public void A_frame_over_the_maximum_fails_with_1009_from_its_header_alone()
    {
        var options = new FrameReaderOptions { MaxMessagePayload = 1000 };
        byte[] frame = ClientFrames.Frame(Opcode.Binary, new byte[1001]);
        var collector = new FrameCollector(options);
        collector.Feed(frame[..8]); // header and key only
        ReadEvent error = Assert.Single(collector.Events);
        Assert.Equal(ProtocolError.FrameTooBig, error.Error);
        Assert.Equal(CloseCode.MessageTooBig, error.Error.ToCloseCode());
    }

    [Fact]
    public void A_message_of_exactly_the_maximum_is_accepted()
    {
        var options = new FrameReaderOptions { MaxMessagePayload = 1000 };
        byte[] input = ClientFrames.Concat(
            ClientFrames.Frame(Opcode.Binary, new byte[600], fin: false),
            ClientFrames.Frame(Opcode.Continuation, new byte[400]));
        Assert.Equal(1000, Assert.Single(Read(input, options)).Payload.Length);
    }

    [Fact]
    public void A_fragmented_message_one_byte_over_the_maximum_fails_with_1009()
    {
        var options = new FrameReaderOptions { MaxMessagePayload = 1000 };
        byte[] input = ClientFrames.Concat(
            ClientFrames.Frame(Opcode.Binary, new byte[600], fin: false),
            ClientFrames.Frame(Opcode.Continuation, new byte[401]));
        ReadEvent error = SingleError(input, options);
        Assert.Equal(ProtocolError.MessageTooBig, error.Error);
        Assert.Equal(CloseCode.MessageTooBig, error.Error.ToCloseCode());
    }

    [Fact]
    public void A_separate_frame_limit_applies_to_each_frame()
    {
        var options = new FrameReaderOptions { MaxFramePayload = 100, MaxMessagePayload = 1000 };
        byte[] ok = ClientFrames.Concat(
            ClientFrames.Frame(Opcode.Binary, new byte[100], fin: false),
            ClientFrames.Frame(Opcode.Continuation, new byte[100]));
        Assert.Equal(200, Assert.Single(Read(ok, options)).Payload.Length);
        Assert.Equal(ProtocolError.FrameTooBig, SingleError(ClientFrames.Frame(Opcode.Binary, new byte[101]), options).Error);
    }

    // What came before a violation is still delivered.

    [Fact]
    public void Everything_valid_before_a_violation_is_handed_out_before_the_error()
    {
        byte[] input = ClientFrames.Concat(
            ClientFrames.Text("first"),
            ClientFrames.Frame(Opcode.Ping, "p"u8),
            ClientFrames.Text("second"),
            ClientFrames.Frame(Opcode.Text, "bad"u8, masked: false),
            ClientFrames.Text("never"));
        string[] events = Read(input).Select(e => e.Kind == "error" ? e.Error.ToString() : $"{e.Kind}:{e.Text}").ToArray();
        Assert.Equal(["text:first", "ping:p", "text:second", "UnmaskedFrame"], events);
    }

    [Fact]
    public void After_an_error_the_reader_reads_nothing_more()
    {
        var collector = new FrameCollector();
        collector.Feed(ClientFrames.Frame(Opcode.Continuation, "x"u8));
        collector.Feed(ClientFrames.Text("ignored"));
        Assert.All(collector.Events, e => Assert.Equal(ProtocolError.UnexpectedContinuation, e.Error));
    }

    // Splitting: any cut of the input gives the same frames and payload bytes.

    private static byte[] MixedInput() => ClientFrames.Concat(
        ClientFrames.Text("Hello, κόσμε €"),
        ClientFrames.Frame(Opcode.Binary, Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(), key: [1, 2, 3, 4]),
        ClientFrames.Text("frag-", fin: false),
        ClientFrames.Frame(Opcode.Ping, "in between"u8),
        ClientFrames.Frame(Opcode.Continuation, "ment€"u8, fin: false, key: [9, 8, 7, 6]),
        ClientFrames.Frame(Opcode.Continuation, "ed"u8),
        ClientFrames.Frame(Opcode.Binary, []),
        ClientFrames.Close(1000, "done"));

    [Fact]
    public void Every_split_point_of_a_multi_frame_input_yields_the_same_frames()
    {
        byte[] input = MixedInput();
        string expected = string.Join("|", Read(input));
        Assert.Contains("close", expected);

        for (int cut = 0; cut <= input.Length; cut++)
        {
            // Two reads, split at `cut`.
            var twoReads = new FrameCollector();
            twoReads.Feed(input[..cut]);
            twoReads.Feed(input[cut..]);
            Assert.Equal(expected, string.Join("|", twoReads.Events));

            // One read of a two-segment sequence, cut at `cut`.
            var twoSegments = new FrameCollector();
            twoSegments.Feed(input, cut);
            Assert.Equal(expected, string.Join("|", twoSegments.Events));
        }
    }

    [Fact]
    public void Byte_by_byte_feeding_yields_the_same_frames_and_never_buffers_more_than_a_control_frame()
    {
        byte[] input = MixedInput();
        string expected = string.Join("|", Read(input));

        var collector = new FrameCollector();
        collector.FeedByteByByte(input);
        Assert.Equal(expected, string.Join("|", collector.Events));
        Assert.True(collector.MaxPending <= 2 + 4 + FrameReader.MaxControlPayload);
    }

    [Fact]
    public void One_byte_segments_in_a_single_read_yield_the_same_frames()
    {
        byte[] input = MixedInput();
        string expected = string.Join("|", Read(input));
        var collector = new FrameCollector();
        collector.Feed(input, Enumerable.Range(1, input.Length - 1).ToArray());
        Assert.Equal(expected, string.Join("|", collector.Events));
    }

    [Fact]
    public void A_large_payload_is_handed_out_in_chunks_as_it_arrives_without_buffering_it()
    {
        byte[] payload = Enumerable.Range(0, 100_000).Select(i => (byte)(i % 253)).ToArray();
        byte[] frame = ClientFrames.Frame(Opcode.Binary, payload);
        var collector = new FrameCollector();
        for (int offset = 0; offset < frame.Length; offset += 4096)
        {
            collector.Feed(frame[offset..Math.Min(frame.Length, offset + 4096)]);
        }

        Assert.Equal(payload, Assert.Single(collector.Events).Payload);
        Assert.True(collector.Chunks > 20);
        Assert.True(collector.MaxPending < FrameReader.MaxHeaderSize);
    }
}
