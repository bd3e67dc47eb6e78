using System.Text;
using WsFast.Load.Client.Http;

namespace WsFast.Load.Tests;

public class EventStreamParserTests
{
    private const string Stream =
        "retry: 2000\n\n" +
        ": keep-alive\n\n" +
        "id: 1\ndata: {\"seq\":1}\n\n" +
        "id: 2\r\nevent: gap\r\ndata: first line\r\ndata:second line\r\ndata\r\n\r\n" +
        "unknown: field\rdata: after CR\r\r" +
        "id: 3\ndata: never ended";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(1000)]
    public void Events_are_parsed_from_pieces_of_any_size(int piece)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Stream);
        var parser = new EventStreamParser();
        var events = new List<ServerSentEvent>();
        for (int i = 0; i < bytes.Length; i += piece)
        {
            parser.Feed(bytes.AsSpan(i, Math.Min(piece, bytes.Length - i)), events);
        }

        Assert.Equal(3, events.Count);
        Assert.Equal(("message", "1", "{\"seq\":1}"), (events[0].Type, events[0].Id, Encoding.UTF8.GetString(events[0].Data)));
        Assert.Equal(("gap", "2", "first line\nsecond line\n"), (events[1].Type, events[1].Id, Encoding.UTF8.GetString(events[1].Data)));
        Assert.Equal(("message", "2", "after CR"), (events[2].Type, events[2].Id, Encoding.UTF8.GetString(events[2].Data)));
        Assert.Equal("3", parser.LastEventId); // the unfinished event set its id, but is not dispatched
    }

    [Fact]
    public void A_crlf_split_between_reads_ends_one_line_not_two()
    {
        var parser = new EventStreamParser();
        var events = new List<ServerSentEvent>();
        parser.Feed("data: a\r"u8, events);
        parser.Feed("\ndata: b\r"u8, events);
        parser.Feed("\n\r"u8, events);
        parser.Feed("\n"u8, events);
        Assert.Equal("a\nb", Encoding.UTF8.GetString(Assert.Single(events).Data));
    }
}
