using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Tls;

/// <summary>A test server with a TLS endpoint beside its plain one, and clients for it.</summary>
internal static class TlsKit
{
    /// <summary>
    /// A <see cref="TestServer"/> (plain endpoint, /echo, /broadcast) that also listens with TLS on 127.0.0.1 with
    /// the certificate in <paramref name="certificatePath"/> and <paramref name="keyPath"/>.
    /// </summary>
    public static Task<TestServer> StartAsync(string certificatePath, string keyPath, Action<WsFastServerOptions>? configure = null, bool broadcastTopics = false) =>
        TestServer.StartAsync(options =>
        {
            options.Tls = new TlsOptions { Certificate = TlsCertificate.FromPemFiles(certificatePath, keyPath) };
            options.Tls.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
            configure?.Invoke(options);
        }, broadcastTopics: broadcastTopics);

    /// <summary>The TLS port.</summary>
    public static int TlsPort(this TestServer server) => server.Server.TlsEndPoints[0].Port;

    /// <summary>A wss:// address of a path on the server, by the name localhost (which the certificates carry).</summary>
    public static Uri Wss(this TestServer server, string path) => new($"wss://localhost:{server.TlsPort()}{path}");

    /// <summary>A ClientWebSocket connected over TLS, trusting only <paramref name="certificates"/>' authority.</summary>
    public static async Task<ClientWebSocket> ConnectWssAsync(this TestServer server, TestCertificates certificates, string path = "/echo")
    {
        var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        client.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificates.Validate(certificate, errors);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(server.Wss(path), timeout.Token);
        return client;
    }

    /// <summary>
    /// A TLS connection to 127.0.0.1:<paramref name="port"/> asking for <paramref name="host"/> by SNI, accepting
    /// any certificate; returns the stream and the certificate the server presented.
    /// </summary>
    public static async Task<(SslStream Stream, X509Certificate2 Certificate)> HandshakeAsync(int port, string host)
    {
        var tcp = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }, timeout.Token);
        return (ssl, X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate!.GetRawCertData()));
    }

    /// <summary>Sends a text message and expects it back.</summary>
    public static async Task AssertEchoesAsync(this ClientWebSocket client, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        byte[] sent = System.Text.Encoding.UTF8.GetBytes(text);
        await client.SendAsync(sent, System.Net.WebSockets.WebSocketMessageType.Text, true, timeout.Token);
        byte[] buffer = new byte[sent.Length + 16];
        int received = 0;
        WebSocketReceiveResult result;
        do
        {
            result = await client.ReceiveAsync(buffer.AsMemory(received).ToArraySegment(), timeout.Token);
            received += result.Count;
        }
        while (!result.EndOfMessage);

        Assert.Equal(text, System.Text.Encoding.UTF8.GetString(buffer, 0, received));
    }

    private static ArraySegment<byte> ToArraySegment(this Memory<byte> memory) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment) ? segment : throw new InvalidOperationException();
}
