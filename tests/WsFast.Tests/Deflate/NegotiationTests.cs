using System.Net.WebSockets;
using WsFast.Tests.Server;

namespace WsFast.Tests.Deflate;

/// <summary>RFC 7692 sections 5 and 7.1 through the server: what the 101 agrees to, and that nothing else is refused.</summary>
public class NegotiationTests
{
    [Fact]
    public async Task A_browsers_offer_is_accepted_with_both_contexts_reset_and_4_KiB_windows()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, string? extensions) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            Assert.Equal("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12", extensions);
            await client.AssertEchoesAsync("after the upgrade");
        }
    }

    [Fact]
    public async Task Without_options_the_library_declines_every_offer_and_answers_101()
    {
        await using TestServer server = await TestServer.StartAsync();
        (RawClient client, string? extensions) = await DeflateClient.OpenAsync(server.Port);
        await using (client)
        {
            Assert.Null(extensions);
            await client.AssertEchoesAsync("uncompressed");
        }
    }

    [Theory]
    [InlineData("permessage-deflate; unknown_parameter")]
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; client_no_context_takeover=1")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    public async Task An_invalid_offer_is_declined_without_refusing_the_handshake(string offer)
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, string? extensions) = await DeflateClient.OpenAsync(server.Port, offer: offer);
        await using (client)
        {
            Assert.Null(extensions);
            await client.AssertEchoesAsync("declined, still open");
        }
    }

    [Fact]
    public async Task Section_5_the_first_acceptable_alternative_is_taken()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        (RawClient client, string? extensions) = await DeflateClient.OpenAsync(
            server.Port, offer: "permessage-deflate; bogus, permessage-deflate; server_max_window_bits=10; client_max_window_bits=11");
        await using (client)
        {
            Assert.Equal(
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
                extensions);
        }
    }

    [Fact]
    public async Task An_endpoint_can_turn_deflate_off_while_others_keep_it()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        server.Server.Endpoints["/broadcast"].PerMessageDeflate = null;
        (RawClient echo, string? echoExtensions) = await DeflateClient.OpenAsync(server.Port, "/echo");
        (RawClient plain, string? plainExtensions) = await DeflateClient.OpenAsync(server.Port, "/broadcast");
        await using (echo)
        await using (plain)
        {
            Assert.NotNull(echoExtensions);
            Assert.Null(plainExtensions);
        }
    }

    [Fact]
    public async Task The_connection_tells_its_handler_what_was_agreed()
    {
        await using TestServer server = await DeflateClient.StartServerAsync();
        using ClientWebSocket client = await server.ConnectAsync("/echo", o => o.DangerousDeflateOptions = new WebSocketDeflateOptions());
        WsFast.WebSocketConnection connection = Assert.Single(server.Server.Endpoints["/echo"].Connections);
        Assert.StartsWith("permessage-deflate", connection.Extensions);
    }

    [Fact]
    public void Options_out_of_range_are_refused_naming_the_setting()
    {
        var options = new WsFast.WsFastServerOptions { PerMessageDeflate = new() { ServerMaxWindowBits = 8 } };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WsFast.WsFastServer(options));
        Assert.Contains("ServerMaxWindowBits", error.Message);
    }
}
