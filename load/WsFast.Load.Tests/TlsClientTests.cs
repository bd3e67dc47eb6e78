using System.Net;
using System.Text;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Load.Scenarios;
using WsFast.Protocol;

namespace WsFast.Load.Tests;

/// <summary>
/// The load tool's wss:// clients against a tiny TLS echo server of the test's own: a client trusting the
/// server's CA connects and echoes, and one that should not trust the server (another CA, a certificate for
/// another name, no CA given) fails its TLS handshake with <see cref="ErrorKind.TlsFailed"/> and sends no upgrade.
/// </summary>
public sealed class TlsClientTests : IAsyncLifetime
{
    private readonly TestCertificates _certificates = TestCertificates.Create();
    private TlsEchoServer? _server;

    private TlsEchoServer Server => _server ?? throw new InvalidOperationException("not started");

    public Task InitializeAsync()
    {
        _server = new TlsEchoServer(_certificates.Server);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _certificates.Dispose();
    }

    [Fact]
    public async Task A_client_trusting_the_servers_CA_upgrades_over_TLS_and_gets_its_echo()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using WsClient client = await WsClient.ConnectAsync(Options(TlsSettings.ClientOptions("127.0.0.1", _certificates.CaFile, skipVerify: false)), 0, 64, cancel.Token);
        Assert.StartsWith("Tls1", client.TlsAgreement, StringComparison.Ordinal);

        byte[] payload = Encoding.UTF8.GetBytes("hello over TLS");
        int sent = await client.SendAsync(Opcode.Text, payload);
        Assert.Equal(ClientFrames.FrameSize(payload.Length), sent); // WebSocket bytes, before TLS records
        WsMessage echo = await ReadMessageAsync(client, cancel.Token);
        Assert.Equal(Opcode.Text, echo.Opcode);
        Assert.Equal(payload, echo.Payload.ToArray());

        await client.CloseAsync().WaitAsync(cancel.Token);
        Assert.Equal(1, Server.Upgrades);
    }

    [Fact]
    public async Task A_certificate_from_another_CA_is_refused()
    {
        using TestCertificates stranger = TestCertificates.Create();
        var e = await Assert.ThrowsAsync<WsClientException>(() =>
            WsClient.ConnectAsync(Options(TlsSettings.ClientOptions("127.0.0.1", stranger.CaFile, skipVerify: false)), 0, 64, CancellationToken.None));
        Assert.Equal(ErrorKind.TlsFailed, e.Kind);
        Assert.Equal(0, Server.Upgrades);
    }

    [Fact]
    public async Task A_certificate_signed_by_the_trusted_CA_for_another_name_is_refused()
    {
        // The client connects to 127.0.0.1; this certificate names only example.com (RFC 6125: the reference
        // identity is the address the client asked for).
        using TestCertificates elsewhere = TestCertificates.Create("example.com", withLoopback: false);
        await using var server = new TlsEchoServer(elsewhere.Server);
        var e = await Assert.ThrowsAsync<WsClientException>(() =>
            WsClient.ConnectAsync(Options(TlsSettings.ClientOptions("127.0.0.1", elsewhere.CaFile, skipVerify: false), server.Endpoint), 0, 64, CancellationToken.None));
        Assert.Equal(ErrorKind.TlsFailed, e.Kind);
        Assert.Equal(0, server.Upgrades);
    }

    [Fact]
    public async Task A_connection_reset_after_the_TLS_handshake_fails_the_upgrade_and_is_counted_as_such()
    {
        await using var server = new TlsEchoServer(_certificates.Server, resetAfterTls: true);
        var e = await Assert.ThrowsAsync<WsClientException>(() =>
            WsClient.ConnectAsync(Options(TlsSettings.ClientOptions("127.0.0.1", _certificates.CaFile, skipVerify: false), server.Endpoint), 0, 64, CancellationToken.None));
        Assert.Equal(ErrorKind.HandshakeFailed, e.Kind);
    }

    [Fact]
    public async Task The_systems_roots_do_not_trust_a_test_CA()
    {
        var e = await Assert.ThrowsAsync<WsClientException>(() =>
            WsClient.ConnectAsync(Options(TlsSettings.ClientOptions("127.0.0.1", caFile: null, skipVerify: false)), 0, 64, CancellationToken.None));
        Assert.Equal(ErrorKind.TlsFailed, e.Kind);
        Assert.Equal(0, Server.Upgrades);
    }

    [Fact]
    public async Task Skipping_verification_accepts_a_certificate_nobody_vouches_for()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using WsClient client = await WsClient.ConnectAsync(Options(TlsSettings.ClientOptions("127.0.0.1", caFile: null, skipVerify: true)), 0, 64, cancel.Token);
        await client.CloseAsync().WaitAsync(cancel.Token);
        Assert.Equal(1, Server.Upgrades);
    }

    [Fact]
    public void A_CA_file_without_a_certificate_is_refused_before_any_connection()
    {
        string empty = Path.Combine(_certificates.Folder, "empty.pem");
        File.WriteAllText(empty, "not a certificate\n");
        Assert.Throws<FormatException>(() => TlsSettings.ClientOptions("127.0.0.1", empty, skipVerify: false));
        Assert.Throws<FormatException>(() => TlsSettings.ClientOptions("127.0.0.1", Path.Combine(_certificates.Folder, "missing.pem"), skipVerify: false));
    }

    [Fact]
    public async Task The_echo_scenario_runs_over_TLS_and_reports_what_was_agreed()
    {
        const int clients = 3;
        var options = Options(TlsSettings.ClientOptions("127.0.0.1", _certificates.CaFile, skipVerify: false));
        var simulation = new LoadSimulation.KeepConstant(clients, TimeSpan.FromMilliseconds(500), TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        var runner = new ScenarioRunner([], TextWriter.Null, TimeSpan.FromMinutes(1));
        ScenarioResult result = await runner.RunAsync(new EchoScenario(new EchoSettings { Client = options, MessageSize = 32 }), simulation).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(clients, result.ClientsReady);
        Assert.Equal(0, result.Stats.TotalErrors);
        Assert.True(result.Stats.MessagesReceived > 0);
        Assert.Equal(clients, result.Stats.TlsClients);
        Assert.StartsWith("Tls1", result.Stats.TlsAgreement, StringComparison.Ordinal);
        Assert.Equal(clients, Server.Handshakes);
        Assert.Equal(clients, Server.Upgrades);
    }

    private WsClientOptions Options(System.Net.Security.SslClientAuthenticationOptions tls, IPEndPoint? server = null)
    {
        IPEndPoint endpoint = server ?? Server.Endpoint;
        return new WsClientOptions { Url = new Uri($"wss://127.0.0.1:{endpoint.Port}/echo"), Server = endpoint, Tls = tls };
    }

    private static async Task<WsMessage> ReadMessageAsync(WsClient client, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (client.TryReadMessage(out WsMessage message))
            {
                return message;
            }

            await client.ReceiveMoreAsync(cancellationToken);
        }
    }
}
