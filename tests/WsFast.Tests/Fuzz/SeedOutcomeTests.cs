using WsFast.Fuzz.Targets;

namespace WsFast.Tests.Fuzz;

/// <summary>
/// The seeds of the deflate and HTTP request targets come to what their names say, so that the fuzzer starts from
/// every outcome the contract defines (a message, 1009 for a bomb, 1007 for corrupt data, each refusal status), not
/// from inputs that all fail the same way.
/// </summary>
public class SeedOutcomeTests
{
    [Theory]
    // RFC 7692 section 7.2.3.1: "Hello" in one compressed frame, and in two fragments.
    [InlineData("rfc7692-7.2.3.1-hello", "Text+deflate:48656C6C6F")]
    [InlineData("rfc7692-7.2.3.1-hello-fragmented", "Text+deflate:48656C6C6F")]
    // Section 7.2.3.2: the second message refers back to the first; without context takeover that is corrupt.
    [InlineData("rfc7692-7.2.3.2-hello-twice-context-takeover", "Text+deflate:48656C6C6F Text+deflate:48656C6C6F")]
    [InlineData("rfc7692-7.2.3.2-hello-twice-no-context-takeover", "Text+deflate:48656C6C6F Text+deflate:48656C6C6F")]
    [InlineData("rfc7692-7.2.3.2-back-reference-after-reset", "Text+deflate:48656C6C6F 1007 InvalidData")]
    // Sections 7.2.3.3 to 7.2.3.6: a stored block, a BFINAL block (the next message starts afresh), two blocks, empty.
    [InlineData("rfc7692-7.2.3.3-uncompressed-block", "Text+deflate:48656C6C6F")]
    [InlineData("rfc7692-7.2.3.4-bfinal-block", "Text+deflate:48656C6C6F")]
    [InlineData("rfc7692-7.2.3.4-bfinal-then-next-message", "Text+deflate:48656C6C6F Text+deflate:48656C6C6F")]
    [InlineData("rfc7692-7.2.3.5-two-blocks", "Text+deflate:48656C6C6F")]
    [InlineData("rfc7692-7.2.3.6-empty-message", "Text+deflate:")]
    // A decompression bomb is 1009 once the inflated size passes the limit, whole or fragmented.
    [InlineData("bomb-1mib-of-zeros", "1009 TooBig")]
    [InlineData("bomb-1mib-of-zeros-fragmented", "1009 TooBig")]
    [InlineData("bomb-text-of-spaces-limit-125", "1009 TooBig")]
    [InlineData("one-byte-over-the-limit-4097", "1009 TooBig")]
    [InlineData("corrupt-reserved-block-type", "1007 InvalidData")]
    [InlineData("corrupt-stored-length-mismatch", "1007 InvalidData")]
    [InlineData("compressed-invalid-utf8", "1007 InvalidUtf8")]
    [InlineData("compressed-truncated-code-point", "1007 InvalidUtf8")]
    // Section 6.1: RSV1 only on the first frame of a data message.
    [InlineData("rsv1-on-continuation", "ReservedBitsSet")]
    [InlineData("rsv1-on-ping", "ReservedBitsSet")]
    [InlineData("rsv2-set", "ReservedBitsSet")]
    public void A_deflate_seed_ends_as_its_name_says(string seed, string expectedEnd)
    {
        foreach ((string target, bool isServer) in new[] { ("frame-server-deflate", true), ("frame-client-deflate", false) })
        {
            byte[] input = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", target, seed));
            string events = string.Join(" ", DeflateStreamCheck.Run(input, isServer));
            Assert.True(events.EndsWith(expectedEnd, StringComparison.Ordinal), $"{target}/{seed}: {events}");
        }
    }

    [Fact]
    public void The_limit_itself_inflates_whole()
    {
        byte[] input = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", "frame-server-deflate", "exactly-the-limit-4096"));
        Assert.Equal(["Binary+deflate:" + new string('0', 2 * 4096)], DeflateStreamCheck.Run(input, isServer: true));
    }

    [Theory]
    [InlineData("publish-text", "publish to news: Text message of 11 bytes 68656C6C6F20776F726C64")]
    [InlineData("publish-binary", "publish to sensors.temp: Binary message of 4 bytes 0001FEFF")]
    [InlineData("publish-text-invalid-utf8", "publish to news: 400 a text/* body must be UTF-8")]
    [InlineData("publish-empty-body", "publish to news: Binary message of 0 bytes ")]
    [InlineData("publish-without-content-length", "411 Content-Length required")]
    [InlineData("publish-over-the-limit", "413 body over 1024 bytes")]
    [InlineData("publish-body-cut-short", "publish to news: the client left mid-body")]
    [InlineData("publish-body-followed-by-next-request", "publish to news: Binary message of 2 bytes 6F6B")]
    [InlineData("publish-without-token", "401 a bearer token is required")]
    [InlineData("publish-wrong-token", "403 wrong token")]
    [InlineData("publish-with-get", "405 publish with POST")]
    [InlineData("publish-topic-only-dots", "400 invalid topic name")]
    [InlineData("publish-topic-too-long", "400 invalid topic name")]
    [InlineData("sse-from-now", "event stream of news from now")]
    [InlineData("sse-last-event-id", "event stream of news from 1733131200:42")]
    [InlineData("sse-header-wins-over-query", "event stream of news from 3:4")]
    [InlineData("sse-after-query", "event stream of news from 7:100")]
    [InlineData("sse-cursor-epoch-zero", "400 Last-Event-ID and after are cursors")]
    [InlineData("sse-cursor-19-digits", "400 Last-Event-ID and after are cursors")]
    [InlineData("sse-with-post", "405 method not allowed")]
    [InlineData("sse-get-with-body", "400 unexpected request body")]
    [InlineData("poll-after-and-wait", "poll of news after 5:10 waiting 2500 ms")]
    [InlineData("poll-wait-over-the-timeout", "poll of news after the latest waiting 25000 ms")]
    [InlineData("poll-wait-exponent", "400 after is a cursor")]
    [InlineData("poll-after-two-colons", "400 after is a cursor")]
    public void A_request_seed_is_decided_as_its_name_says(string seed, string expectedStart)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", "http-request-paths", seed));
        string decision = HttpRequestPathsTarget.Decide(input);
        Assert.True(decision.StartsWith(expectedStart, StringComparison.Ordinal), $"{seed}: {decision}");
    }
}
