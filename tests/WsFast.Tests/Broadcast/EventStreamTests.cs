using System.Text;
using System.Text.RegularExpressions;
using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// Text on an event stream. The event stream format (HTML Living Standard, "Server-sent events") ends a line at
/// CRLF, at a lone LF and at a lone CR alike: every line break a published text carries, in any of the three
/// forms, must start a new <c>data:</c> line, or the text could end its data line and add fields of its own (an
/// <c>id</c> that moves the client's cursor, an <c>event</c> that changes the event's type, a blank line that
/// dispatches an event early).
/// </summary>
public class EventStreamTests
{
    /// <summary>Texts with line breaks of every form, alone and mixed.</summary>
    public static readonly string[] Texts =
    [
        "a\rb",
        "a\nb",
        "a\r\nb",
        "a\n\rb",                               // LF then CR: two breaks, an empty line between
        "a\r\r\nb",                             // CR then CRLF: two breaks
        "\r\nleading and trailing\r",
        "a\rid: 99\revent: evil\r\rdata: x",    // a lone CR trying to inject fields and dispatch early
        "one\r\ntwo\nthree\rfour",
        "no break at all",
        "",
    ];

    public static TheoryData<string> TextCases => [.. Texts];

    [Fact]
    public async Task A_text_with_CR_LF_or_CRLF_breaks_goes_out_as_one_event_with_one_data_line_per_line_and_no_other_field()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using RawConnection connection = await RawConnection.ConnectAsync(server.Port);
        await connection.SendAsync($"GET /sse/lines HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\n\r\n");
        RawResponse head = await connection.ReadResponseAsync(bodyless: true);
        Assert.Equal(200, head.Status);
        Assert.Equal("retry: 2000\n\n", Encoding.ASCII.GetString(await connection.ReadUntilAsync("\n\n"u8.ToArray())));
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("lines") == 1, "the stream to subscribe");

        for (int i = 0; i < Texts.Length; i++)
        {
            long sequence = server.Server.Topics.Publish("lines", Texts[i]).Sequence;

            // Every line of an event starts with a field name, so the event's blank line is the first "\n\n".
            string sent = Encoding.UTF8.GetString(await connection.ReadUntilAsync("\n\n"u8.ToArray()));
            Assert.Equal(ExpectedEvent(server.Server.Topics.Find("lines")!.Epoch, sequence, Texts[i]), sent);
            Assert.DoesNotContain('\r', sent);
        }
    }

    [Fact]
    public async Task An_event_stream_client_gets_each_text_whole_with_every_line_break_as_LF_and_the_id_the_server_gave()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        using EventStream stream = await EventStream.OpenAsync(http, "/sse/parsed");
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("parsed") == 1, "the stream to subscribe");

        foreach (string text in Texts)
        {
            server.Server.Topics.Publish("parsed", text);
        }

        // The client's parser splits lines at CR, LF and CRLF, as a browser's does.
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "parsed", i + 1), null, AsLf(Texts[i])), await stream.ReadAsync());
        }
    }

    [Theory]
    [MemberData(nameof(TextCases))]
    public void A_text_messages_event_bytes_hold_its_id_then_one_data_line_per_line_of_the_text(string text)
    {
        var frame = FrameWriting.Frame(Opcode.Text, Encoding.UTF8.GetBytes(text));
        var message = new TopicMessage(Topic, 42, WsFast.MessageType.Text, frame, FrameWriting.HeaderSizeOf(frame), DateTime.UtcNow);
        try
        {
            Assert.Equal(ExpectedEvent(Topic.Epoch, 42, text), Encoding.UTF8.GetString(message.Event.WrittenSpan));
            Assert.Equal(message.Event.Length + frame.Length, message.HeldBytes);
        }
        finally
        {
            message.Release();
        }
    }

    [Fact]
    public void A_binary_messages_event_is_its_base64_on_one_data_line_after_event_binary()
    {
        byte[] payload = [(byte)'\r', (byte)'\n', 0, 255, (byte)'\r'];
        var frame = FrameWriting.Frame(Opcode.Binary, payload);
        var message = new TopicMessage(Topic, 3, WsFast.MessageType.Binary, frame, FrameWriting.HeaderSizeOf(frame), DateTime.UtcNow);
        try
        {
            Assert.Equal($"id: {Topic.Epoch}:3\nevent: binary\ndata: {Convert.ToBase64String(payload)}\n\n", Encoding.ASCII.GetString(message.Event.WrittenSpan));
        }
        finally
        {
            message.Release();
        }
    }

    // An endpoint's own kind of topic, outside any registry: enough to give messages an epoch.
    private static readonly Topic Topic = new("events", registry: null, budget: null, new ServerCounters());

    // "id: E:N", a data line per line of the text (breaks at CRLF, CR or LF), and the blank line.
    private static string ExpectedEvent(long epoch, long sequence, string text) =>
        $"id: {epoch}:{sequence}\n" + string.Concat(Regex.Split(text, "\r\n|\r|\n").Select(line => $"data: {line}\n")) + "\n";

    private static string AsLf(string text) => Regex.Replace(text, "\r\n|\r|\n", "\n");
}
