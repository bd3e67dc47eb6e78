using WsFast.Tests.Server;

namespace WsFast.Tests.Limits;

/// <summary>
/// <c>ClientLimits.MaxConnectionsPerAddress</c>: one address opens connection after connection to hold the
/// server's slots. At the bound its next request gets 429 with Retry-After before any upgrade; another address
/// is served as before; a connection that ends frees its place. Connections count whether upgraded or not.
/// </summary>
public class ConnectionsPerAddressTests
{
    private const int Max = 4;

    [Fact]
    public async Task N_connections_from_one_address_open_the_next_gets_429_with_Retry_After_and_another_address_is_unaffected()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.ClientLimits.MaxConnectionsPerAddress = Max);
        var open = new List<RawClient>();
        try
        {
            for (int i = 0; i < Max; i++)
            {
                open.Add(await LimitKit.OpenAsync(server.Port, LimitKit.From(2)));
            }

            await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(2));

            // Another address is counted on its own, and the open connections are served throughout.
            await using RawClient other = await LimitKit.OpenAsync(server.Port, LimitKit.From(3));
            await other.AssertEchoesAsync("other address");
            await open[0].AssertEchoesAsync("still served");

            // One of the address's connections ends: its place is free again.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            await LimitKit.WaitUntilAsync(() => server.Server.ConnectionCount == Max, "the connection to end");
            open.Add(await LimitKit.OpenAsync(server.Port, LimitKit.From(2)));
            await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(2));

            Assert.Equal(2, server.Server.Counters.ConnectionsPerAddressRefusals);
            Assert.Equal(2, await LimitKit.MetricAsync(server, "wsfast_limit_refusals_total{reason=\"connections_per_address\"}"));
            Assert.True(await server.Log.WaitForAsync("Refused request from 127.0.0.2:"));
            Assert.Contains(server.Log.Lines, line => line.Message.Contains("429 too many connections from this address", StringComparison.Ordinal));
        }
        finally
        {
            foreach (RawClient client in open)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Connections_that_are_not_upgraded_count_too_and_are_refused_at_their_request()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.ClientLimits.MaxConnectionsPerAddress = Max);
        var held = new List<RawClient>();
        try
        {
            // Kept-alive HTTP connections, each after one request: they hold their places.
            for (int i = 0; i < Max; i++)
            {
                (RawClient client, HttpHead head) = await LimitKit.SendAsync(server.Port, LimitKit.From(4), LimitKit.Get("/healthz"));
                held.Add(client);
                Assert.Equal(200, head.Status);
            }

            await LimitKit.AssertRefusedAsync(server.Port, LimitKit.From(4), LimitKit.Get("/healthz"), 429);
            await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(4));
            await using RawClient other = await LimitKit.OpenAsync(server.Port, LimitKit.From(5));
            Assert.Equal(2, server.Server.Counters.ConnectionsPerAddressRefusals);
        }
        finally
        {
            foreach (RawClient client in held)
            {
                await client.DisposeAsync();
            }
        }
    }
}
