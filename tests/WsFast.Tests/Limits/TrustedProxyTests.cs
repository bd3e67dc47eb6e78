using System.Net;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Limits;

/// <summary>
/// <c>TrustedProxies</c>: behind a proxy every client arrives from the proxy's address, and the real one is in
/// <c>X-Forwarded-For</c> or <c>Forwarded</c> (RFC 7239). From a trusted proxy it is believed, and the limits,
/// the log and <see cref="WebSocketConnection.ClientAddress"/> use it; from anyone else it is ignored, so a client
/// cannot dodge its limits by writing the header itself. A malformed header from a trusted proxy gets 400.
/// </summary>
public class TrustedProxyTests
{
    [Fact]
    public async Task X_Forwarded_For_from_a_trusted_proxy_is_the_client_address_limits_count_and_handlers_see()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(
            options =>
            {
                options.TrustedProxies.Add(IPNetwork.Parse("127.0.0.1/32"));
                options.ClientLimits.MaxConnectionsPerAddress = 1;
            },
            s => s.Map("/record", recorder));

        // Two clients through the one proxy: one connection each, though both come from 127.0.0.1.
        await using RawClient first = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/record", "X-Forwarded-For: 203.0.113.1");
        await LimitKit.WaitUntilAsync(() => recorder.Last is not null, "the first connection");
        Assert.Equal(IPAddress.Parse("203.0.113.1"), recorder.Last!.ClientAddress);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)recorder.Last.RemoteEndPoint!).Address);

        await using RawClient second = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/echo", "X-Forwarded-For: 203.0.113.2");

        // The first client's second connection is over its bound, and the log names the client, not the proxy.
        await LimitKit.AssertTooManyAsync(server.Port, IPAddress.Loopback, "/echo", "X-Forwarded-For: 203.0.113.1");
        Assert.True(await server.Log.WaitForAsync("Refused request from 203.0.113.1: 429"));
    }

    [Fact]
    public async Task The_rightmost_address_that_is_not_a_trusted_proxy_is_the_client_and_what_is_left_of_it_is_ignored()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(
            options =>
            {
                options.TrustedProxies.Add(IPNetwork.Parse("127.0.0.1/32"));
                options.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8"));
            },
            s => s.Map("/record", recorder));

        // 198.51.100.9 is what the client claimed; 203.0.113.5 is who reached the edge proxy 10.1.2.3.
        await using RawClient client = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/record", "X-Forwarded-For: 198.51.100.9, 203.0.113.5, 10.1.2.3");
        await LimitKit.WaitUntilAsync(() => recorder.Last is not null, "the connection");
        Assert.Equal(IPAddress.Parse("203.0.113.5"), recorder.Last!.ClientAddress);
    }

    [Fact]
    public async Task Forwarding_headers_from_a_peer_that_is_not_trusted_are_ignored()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(
            options =>
            {
                options.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8"));
                options.ClientLimits.MaxConnectionsPerAddress = 1;
            },
            s => s.Map("/record", recorder));

        await using RawClient client = await LimitKit.OpenAsync(server.Port, LimitKit.From(12), "/record", "X-Forwarded-For: 203.0.113.1", "Forwarded: for=203.0.113.1");
        await LimitKit.WaitUntilAsync(() => recorder.Last is not null, "the connection");
        Assert.Equal(LimitKit.From(12), recorder.Last!.ClientAddress);

        // Another forged address does not make it another client; a malformed header is not even looked at.
        await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(12), "/echo", "X-Forwarded-For: 203.0.113.99");
        (RawClient other, HttpHead head) = await LimitKit.SendAsync(server.Port, LimitKit.From(13), LimitKit.Upgrade("/echo", "X-Forwarded-For: not an address"));
        await using (other)
        {
            Assert.Equal(101, head.Status);
        }
    }

    [Theory]
    [InlineData("X-Forwarded-For: 203.0.113.1, garbage")]
    [InlineData("X-Forwarded-For: 203.0.113.1:80:80")]
    [InlineData("Forwarded: for=\"[2001:db8::1\"")]
    [InlineData("Forwarded: for=203.0.113.1;for=203.0.113.2")]
    [InlineData("Forwarded: for")]
    [InlineData("X-Forwarded-For: 203.0.113.1|X-Forwarded-Proto: ht tp")]
    public async Task A_malformed_forwarding_header_from_a_trusted_proxy_gets_400_and_is_counted(string headers)
    {
        await using TestServer server = await TestServer.StartAsync(options => options.TrustedProxies.Add(IPNetwork.Parse("127.0.0.0/8")));

        (RawClient client, HttpHead head) = await LimitKit.SendAsync(server.Port, IPAddress.Loopback, LimitKit.Upgrade("/echo", headers.Split('|')));
        await using (client)
        {
            Assert.Equal(400, head.Status);
            (byte[] body, TcpEnd end) = await client.ReadToEndAsync();
            Assert.Equal(TcpEnd.Fin, end);
            Assert.Contains("malformed forwarding header from a trusted proxy", System.Text.Encoding.ASCII.GetString(body), StringComparison.Ordinal);
        }

        Assert.Equal(1, server.Server.Counters.ForwardedHeaderRefusals);
        Assert.Equal(1, await LimitKit.MetricAsync(server, "wsfast_limit_refusals_total{reason=\"forwarded_header\"}"));
    }

    [Fact]
    public async Task Forwarded_carries_IPv6_clients_in_brackets_with_a_port_and_IPv6_counts_by_its_64_prefix()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(
            options =>
            {
                options.TrustedProxies.Add(IPNetwork.Parse("127.0.0.1/32"));
                options.ClientLimits.MaxConnectionsPerAddress = 1;
            },
            s => s.Map("/record", recorder));

        // RFC 7239 section 4's own example: a quoted IPv6 node with a port, after an element of an earlier hop.
        await using RawClient first = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/record",
            "Forwarded: for=192.0.2.43;proto=http, for=\"[2001:db8:cafe::17]:4711\";proto=https");
        await LimitKit.WaitUntilAsync(() => recorder.Last is not null, "the connection");
        Assert.Equal(IPAddress.Parse("2001:db8:cafe::17"), recorder.Last!.ClientAddress);

        // Another address of the same /64 is the same client; another /64 is another.
        await LimitKit.AssertTooManyAsync(server.Port, IPAddress.Loopback, "/echo", "Forwarded: for=\"[2001:db8:cafe::9999:1]\"");
        await using RawClient other = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/echo", "Forwarded: for=\"[2001:db8:cafe:1::17]\"");

        // Forwarded is preferred to X-Forwarded-For when a proxy sends both.
        await LimitKit.AssertTooManyAsync(server.Port, IPAddress.Loopback, "/echo", "Forwarded: for=\"[2001:db8:cafe::1]\"", "X-Forwarded-For: 198.51.100.1");
    }

    [Fact]
    public async Task A_flood_of_distinct_forwarded_addresses_leaves_the_address_table_bounded_and_every_request_served()
    {
        const int Tracked = 50;
        const int Requests = 600;
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            options.TrustedProxies.Add(IPNetwork.Parse("127.0.0.1/32"));
            options.ClientLimits.MaxTrackedAddresses = Tracked;
        });

        // Pipelined on one kept-alive proxy connection, as a proxy multiplexes its clients: each request comes from
        // another client, with its own count.
        await using RawClient proxy = await RawClient.ConnectAsync(server.Port);
        int most = 0;
        for (int batch = 0; batch < Requests / 50; batch++)
        {
            await proxy.SendAsync(string.Concat(Enumerable.Range(batch * 50, 50).Select(i => LimitKit.Get("/metrics", $"X-Forwarded-For: 2001:db8:{i:x}::1"))));
            for (int i = 0; i < 50; i++)
            {
                HttpHead head = await proxy.ReadHeadAsync();
                Assert.Equal(200, head.Status);
                await proxy.ReadBodyAsync(int.Parse(head.Header("Content-Length")!, System.Globalization.CultureInfo.InvariantCulture));
                most = Math.Max(most, server.Server.Addresses!.Count);
            }
        }

        Assert.InRange(most, 1, Tracked);
        Assert.InRange(await LimitKit.MetricAsync(server, "wsfast_limit_tracked_addresses"), 1, Tracked);
        Assert.Equal(0, server.Server.Counters.Refused);
    }

    [Fact]
    public async Task When_every_tracked_address_holds_a_connection_a_new_address_gets_503_and_a_known_one_is_served()
    {
        const int Tracked = 5;
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            options.TrustedProxies.Add(IPNetwork.Parse("127.0.0.1/32"));
            options.ClientLimits.MaxTrackedAddresses = Tracked;
        });

        var open = new List<RawClient>();
        try
        {
            for (int i = 0; i < Tracked; i++)
            {
                open.Add(await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/echo", $"X-Forwarded-For: 198.51.100.{i + 1}"));
            }

            await LimitKit.AssertRefusedAsync(server.Port, IPAddress.Loopback, LimitKit.Upgrade("/echo", "X-Forwarded-For: 198.51.100.200"), 503);
            open.Add(await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/echo", "X-Forwarded-For: 198.51.100.1"));
            Assert.Equal(1, server.Server.Counters.AddressTableFullRefusals);

            // One address's connection ends: its entry can go, and a new address is served again.
            await open[1].DisposeAsync();
            open.RemoveAt(1);
            await LimitKit.WaitUntilAsync(() => server.Server.ConnectionCount == Tracked, "the connection to end");
            open.Add(await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/echo", "X-Forwarded-For: 198.51.100.200"));
        }
        finally
        {
            foreach (RawClient client in open)
            {
                await client.DisposeAsync();
            }
        }
    }
}
