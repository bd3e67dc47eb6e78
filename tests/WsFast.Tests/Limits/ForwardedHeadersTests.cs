using System.Net;
using System.Text;
using WsFast.Protocol;
using WsFast.Server;

namespace WsFast.Tests.Limits;

/// <summary>
/// How the client's address and scheme are read from what trusted proxies forward: RFC 7239's <c>Forwarded</c>
/// (section 4's syntax, section 6's node names) and the de facto <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c>.
/// </summary>
public class ForwardedHeadersTests
{
    private static readonly List<IPNetwork> Trusted = [IPNetwork.Parse("127.0.0.1/32"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fd00::/8")];

    [Theory]
    [InlineData("Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60", false)]
    [InlineData("Forwarded: For=\"[2001:db8:cafe::17]:4711\"; Proto=HTTPS", "2001:db8:cafe::17", true)]
    [InlineData("Forwarded: for=\"192.0.2.60:8080\";proto=wss", "192.0.2.60", true)]
    [InlineData("Forwarded: for=198.51.100.1;proto=http, for=203.0.113.9;proto=https, for=10.0.0.2;proto=http", "203.0.113.9", true)]
    [InlineData("Forwarded: for=10.0.0.3, for=10.0.0.2", "10.0.0.3", null)]
    [InlineData("Forwarded: for=unknown;proto=https", "127.0.0.1", true)]
    [InlineData("Forwarded: for=203.0.113.9, for=_hidden", "127.0.0.1", null)]
    [InlineData("Forwarded: for=203.0.113.9, for=\"_hidden\", for=10.0.0.7", "10.0.0.7", null)]
    [InlineData("Forwarded: proto=https", "127.0.0.1", true)]
    [InlineData("Forwarded: for=\"[::ffff:203.0.113.9]\"", "203.0.113.9", null)]
    [InlineData("X-Forwarded-For: 203.0.113.9", "203.0.113.9", null)]
    [InlineData("X-Forwarded-For: 198.51.100.1, 203.0.113.9, 10.9.9.9|X-Forwarded-Proto: http, https, http", "203.0.113.9", true)]
    [InlineData("X-Forwarded-For: 198.51.100.1, 10.9.9.9|X-Forwarded-Proto: https", "198.51.100.1", true)]
    [InlineData("X-Forwarded-For: 2001:db8::5, [2001:db8::6]:443, 203.0.113.9:5000", "203.0.113.9", null)]
    [InlineData("X-Forwarded-For: fd00::1, 10.0.0.1", "fd00::1", null)]
    [InlineData("X-Forwarded-Proto: https", "127.0.0.1", true)]
    [InlineData("Forwarded: for=203.0.113.9|X-Forwarded-For: 198.51.100.1", "203.0.113.9", null)]
    public void A_trusted_proxy_s_headers_give_the_client(string headers, string client, bool? https)
    {
        Assert.True(ForwardedHeaders.TryResolve(IPAddress.Loopback, Request(headers), Trusted, out IPAddress address, out bool? scheme));
        Assert.Equal(IPAddress.Parse(client), address);
        Assert.Equal(https, scheme);
    }

    [Theory]
    [InlineData("Forwarded: for=203.0.113.9")]
    [InlineData("X-Forwarded-For: 203.0.113.9|X-Forwarded-Proto: https")]
    [InlineData("X-Forwarded-For: garbage")]
    public void An_untrusted_peer_s_headers_are_not_read(string headers)
    {
        var peer = IPAddress.Parse("::ffff:192.0.2.200");
        Assert.True(ForwardedHeaders.TryResolve(peer, Request(headers), Trusted, out IPAddress address, out bool? scheme));
        Assert.Equal(IPAddress.Parse("192.0.2.200"), address);
        Assert.Null(scheme);
    }

    [Theory]
    [InlineData("Forwarded: for=")]
    [InlineData("Forwarded: for=\"[2001:db8::1]")]
    [InlineData("Forwarded: for=2001:db8::1")]
    [InlineData("Forwarded: for=\"[2001:db8::1]:port\"")]
    [InlineData("Forwarded: for=300.1.1.1")]
    [InlineData("Forwarded: for=203.0.113.9;proto=\"ht tp\"")]
    [InlineData("Forwarded: =203.0.113.9")]
    [InlineData("Forwarded: for=203.0.113.9 x")]
    [InlineData("X-Forwarded-For: 203.0.113.9, proxy.example")]
    [InlineData("X-Forwarded-For: 127.1")]
    [InlineData("X-Forwarded-For: fe80::1%eth0")]
    [InlineData("X-Forwarded-For: 203.0.113.9|X-Forwarded-Proto: 1http")]
    public void A_malformed_header_from_a_trusted_proxy_is_refused(string headers)
    {
        Assert.False(ForwardedHeaders.TryResolve(IPAddress.Loopback, Request(headers), Trusted, out _, out _));
    }

    [Fact]
    public void IPv4_mapped_addresses_count_as_IPv4_and_IPv6_by_its_64_prefix()
    {
        Assert.Equal(AddressKey.Of(IPAddress.Parse("192.0.2.1")), AddressKey.Of(IPAddress.Parse("::ffff:192.0.2.1")));
        Assert.NotEqual(AddressKey.Of(IPAddress.Parse("192.0.2.1")), AddressKey.Of(IPAddress.Parse("192.0.2.2")));
        Assert.Equal(AddressKey.Of(IPAddress.Parse("2001:db8:1:2::1")), AddressKey.Of(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        Assert.NotEqual(AddressKey.Of(IPAddress.Parse("2001:db8:1:2::1")), AddressKey.Of(IPAddress.Parse("2001:db8:1:3::1")));

        // ::/64 holds the IPv4-compatible and -mapped forms; it is still not any IPv4 address.
        Assert.NotEqual(AddressKey.Of(IPAddress.Parse("::1")), AddressKey.Of(IPAddress.Parse("0.0.0.1")));
    }

    private static HandshakeRequest Request(string headers)
    {
        string text = "GET /echo HTTP/1.1\r\nHost: a\r\n" + string.Concat(headers.Split('|').Select(h => h + "\r\n")) + "\r\n";
        var reader = new HandshakeReader(8192, 100);
        HandshakeStatus status = reader.TryRead(new System.Buffers.ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), out _, out _, out HandshakeRequest? request, out _);
        Assert.NotEqual(HandshakeStatus.Refused, status);
        return request!;
    }
}
